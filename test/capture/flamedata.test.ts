// flamedataFromFolded and friends on hand-made stacks: the exact output is pinned.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flamedataFromFolded, formatFolded, mergeFolded, parseFolded, topFunctions } from '../../src/capture/flamedata.js';

describe('flamedataFromFolded', () => {
  it('merges by path, orders children by label, walks pre-order with root "all"', () => {
    const folded = [
      { stack: ['dd', 'read', 'vfs_read_[k]', 'read_zero_[k]'], count: 5 },
      { stack: ['dd', 'read', 'vfs_read_[k]'], count: 2 },
      { stack: ['bash', 'main'], count: 1 },
      { stack: ['dd', 'main', 'read'], count: 3 },
      { stack: ['dd', 'read', 'vfs_read_[k]', 'read_zero_[k]'], count: 1 }, // same path again: merged
    ];
    assert.deepEqual(flamedataFromFolded(folded), [
      { level: 0, value: 12, self: 0, label: 'all' },
      { level: 1, value: 1, self: 0, label: 'bash' },
      { level: 2, value: 1, self: 1, label: 'main' },
      { level: 1, value: 11, self: 0, label: 'dd' },
      { level: 2, value: 3, self: 0, label: 'main' },
      { level: 3, value: 3, self: 3, label: 'read' },
      { level: 2, value: 8, self: 0, label: 'read' },
      { level: 3, value: 8, self: 2, label: 'vfs_read_[k]' },
      { level: 4, value: 6, self: 6, label: 'read_zero_[k]' },
    ]);
  });

  it('orders siblings by code unit, not by count or locale (uppercase and "[" before lowercase)', () => {
    const out = flamedataFromFolded([
      { stack: ['c'], count: 9 },
      { stack: ['a'], count: 1 },
      { stack: ['[unknown]'], count: 1 },
      { stack: ['B'], count: 1 },
    ]);
    assert.deepEqual(out.map((f) => f.label), ['all', 'B', '[unknown]', 'a', 'c']);
  });

  it('keeps recursion as nested nodes and counts an empty stack as the root\'s own samples', () => {
    assert.deepEqual(flamedataFromFolded([{ stack: ['f', 'f'], count: 2 }, { stack: [], count: 1 }]), [
      { level: 0, value: 3, self: 1, label: 'all' },
      { level: 1, value: 2, self: 0, label: 'f' },
      { level: 2, value: 2, self: 2, label: 'f' },
    ]);
  });

  it('gives only the root for no samples, and rejects bad counts', () => {
    assert.deepEqual(flamedataFromFolded([]), [{ level: 0, value: 0, self: 0, label: 'all' }]);
    assert.throws(() => flamedataFromFolded([{ stack: ['a'], count: 0 }]), RangeError);
    assert.throws(() => flamedataFromFolded([{ stack: ['a'], count: 1.5 }]), RangeError);
  });

  it('accepts folded text, which round-trips through formatFolded/parseFolded', () => {
    const text = 'sh;main;do work 2\nsh;main 1\n\n';
    assert.deepEqual(parseFolded(text), [
      { stack: ['sh', 'main', 'do work'], count: 2 },
      { stack: ['sh', 'main'], count: 1 },
    ]);
    assert.equal(formatFolded(parseFolded(text)), 'sh;main;do work 2\nsh;main 1\n');
    assert.equal(formatFolded([{ stack: ['a;b', 'c'], count: 1 }]), 'a:b;c 1\n', "';' inside a frame cannot be the separator");
    assert.deepEqual(flamedataFromFolded(text), flamedataFromFolded(parseFolded(text)));
    assert.throws(() => parseFolded('no-count-here'), SyntaxError);
  });

  it('mergeFolded sums equal stacks and sorts them; topFunctions ranks self samples', () => {
    assert.deepEqual(
      mergeFolded([
        { stack: ['b', 'x'], count: 1 },
        { stack: ['a'], count: 2 },
        { stack: ['b', 'x'], count: 4 },
      ]),
      [
        { stack: ['a'], count: 2 },
        { stack: ['b', 'x'], count: 5 },
      ],
    );
    const fd = flamedataFromFolded([
      { stack: ['p', 'f'], count: 3 },
      { stack: ['q', 'f'], count: 2 },
      { stack: ['q', 'g'], count: 5 },
    ]);
    assert.deepEqual(topFunctions(fd, 2), [
      { label: 'f', self: 5, percent: 50 },
      { label: 'g', self: 5, percent: 50 },
    ]);
  });
});
