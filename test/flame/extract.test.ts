// foldedOfEvent: folded text first, flamedata rebuilt otherwise, coded errors for events
// without a profile or with a malformed one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flamedataFromFolded, formatFolded, mergeFolded } from '../../src/capture/flamedata.js';
import { FlameError, foldedOfEvent } from '../../src/flame/index.js';
import { cpusysData, eventDoc, fixtureFolded } from './support.js';

const expectFlameError = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FlameError, `expected FlameError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
};

describe('foldedOfEvent', () => {
  it('reads tracer_data.folded and returns merged, sorted stacks', () => {
    const folded = foldedOfEvent(eventDoc(cpusysData()));
    assert.deepEqual(folded, mergeFolded(fixtureFolded()));
    assert.equal(folded.length, 420);
  });

  it('rebuilds the same stacks from flamedata when folded is absent or empty', () => {
    const flamedata = flamedataFromFolded(fixtureFolded());
    const expected = mergeFolded(fixtureFolded());
    assert.deepEqual(foldedOfEvent(eventDoc({ flamedata })), expected);
    assert.deepEqual(foldedOfEvent(eventDoc({ flamedata, folded: '' })), expected);
    // flamedata without `self` (HUATUO documents may lack it): self comes from value - children.
    const noSelf = flamedata.map(({ level, value, label }) => ({ level, value, label }));
    assert.deepEqual(foldedOfEvent(eventDoc({ flamedata: noSelf, folded: '\n' })), expected);
  });

  it('keeps samples of the root itself as an empty stack', () => {
    const flamedata = [
      { level: 0, value: 10, self: 3, label: 'all' },
      { level: 1, value: 7, self: 0, label: 'a' },
      { level: 2, value: 7, self: 7, label: 'b_[k]' },
    ];
    assert.deepEqual(foldedOfEvent(eventDoc({ flamedata })), [{ stack: [], count: 3 }, { stack: ['a', 'b_[k]'], count: 7 }]);
  });

  it('FLAME_NO_PROFILE names the tracer (and the capture error) when there is no profile', () => {
    expectFlameError(() => foldedOfEvent(eventDoc({ reason: 'x' }, { tracer_name: 'dload' })), 'FLAME_NO_PROFILE', /tracer dload/);
    expectFlameError(() => foldedOfEvent(eventDoc(null, { tracer_name: 'oom' })), 'FLAME_NO_PROFILE', /tracer oom/);
    expectFlameError(
      () => foldedOfEvent(eventDoc({ flamedata: [], folded: '', capture_error: { code: 'CAPTURE_ATTACH_FAILED', message: 'perf_event_open: EACCES' } })),
      'FLAME_NO_PROFILE', /tracer cpusys.*capture failed: perf_event_open: EACCES/,
    );
  });

  it('FLAME_BAD_PROFILE for malformed folded text or flamedata', () => {
    expectFlameError(() => foldedOfEvent(eventDoc({ folded: 'a;b;c\n' })), 'FLAME_BAD_PROFILE', /folded line 1/);
    expectFlameError(() => foldedOfEvent(eventDoc({ folded: 'a;b -3\n' })), 'FLAME_BAD_PROFILE', /negative count/);
    expectFlameError(() => foldedOfEvent(eventDoc({ flamedata: [{ level: 1, value: 1, self: 1, label: 'x' }] })), 'FLAME_BAD_PROFILE', /flamedata\[0\] has level 1/);
    expectFlameError(() => foldedOfEvent(eventDoc({ flamedata: [{ level: 0, value: 1, label: 'all' }, { level: 2, value: 1, label: 'x' }] })), 'FLAME_BAD_PROFILE', /flamedata\[1\] has level 2/);
    expectFlameError(() => foldedOfEvent(eventDoc({ flamedata: [{ level: 0, value: 1, label: 'all' }, { level: 1, value: 5, label: 'x' }] })), 'FLAME_BAD_PROFILE', /"all" has value 1 below its children's 5/);
    expectFlameError(() => foldedOfEvent(eventDoc({ flamedata: ['nope'] })), 'FLAME_BAD_PROFILE', /flamedata\[0\] is not/);
  });

  it('round-trips through formatFolded', () => {
    const folded = foldedOfEvent(eventDoc(cpusysData()));
    assert.deepEqual(foldedOfEvent(eventDoc({ folded: formatFolded(folded) })), folded);
  });
});
