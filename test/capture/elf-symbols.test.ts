// The ELF64 symbol reader against binutils' nm, on a binary compiled here (.symtab) and on
// libc (.dynsym only); /proc/<pid>/maps parsing; symbolization of a live process's address.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { ET_DYN, fileOffsetToVaddr, findFunction, readElfSymbols } from '../../src/capture/elf-symbols.js';
import { ElfCache } from '../../src/capture/elf-cache.js';
import { findMapping, parseMaps, snapshotMaps } from '../../src/capture/proc-maps.js';
import { symbolizeProfile, KERNEL_STACK_LOST_LABEL, USER_STACK_LOST_LABEL, UNKNOWN_LABEL } from '../../src/capture/symbolize.js';
import { spawnWorkload, waitFor, type Workload } from '../support/host.js';
import { buildSpinBinary, nmSymbols, SPIN_CALLER, SPIN_FUNCTION, type SpinBinary } from './spin-binary.js';

function libcPath(): string {
  const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => /\/libc[.-][^/]*so/.test(l));
  assert.ok(line, 'this process maps libc');
  return line.slice(line.indexOf('/'));
}

describe('ELF64 symbol reader', () => {
  let spin: SpinBinary;
  before(() => {
    spin = buildSpinBinary();
  });
  after(() => spin?.remove());

  it('reads STT_FUNC symbols of .symtab with the addresses nm reports (compiled test binary)', () => {
    const table = readElfSymbols(spin.path);
    assert.equal(table.source, '.symtab');
    assert.equal(table.type, ET_DYN, 'gcc builds PIE by default here');
    const nm = nmSymbols(spin.path);
    for (const name of [SPIN_FUNCTION, SPIN_CALLER, 'main']) {
      const fn = table.functions.find((f) => f.name === name);
      assert.ok(fn, `${name} found`);
      assert.equal(fn.value, nm.get(name), `${name} address matches nm`);
      assert.ok(fn.size > 0);
      assert.equal(findFunction(table, fn.value)?.name, name);
      assert.equal(findFunction(table, fn.value + fn.size - 1)?.name, name);
    }
    assert.ok(!table.functions.some((f) => f.name === 'autotracer_counter'), 'data symbols are not functions');
    // .dynsym of an executable holds only what it exports/imports: not our static functions.
    const dynsym = readElfSymbols(spin.path, { only: '.dynsym' });
    assert.ok(!dynsym.functions.some((f) => f.name === SPIN_FUNCTION), '.dynsym does not list a non-exported function');
    assert.ok(table.loads.some((s) => (s.flags & 1) !== 0), 'an executable PT_LOAD segment');
  });

  it('reads .dynsym of libc: getppid present at the nm -D address; falls back to it when stripped', () => {
    const path = libcPath();
    const table = readElfSymbols(path, { only: '.dynsym' });
    assert.equal(table.source, '.dynsym');
    const fn = table.functions.find((f) => f.name === 'getppid');
    assert.ok(fn, 'getppid in libc');
    assert.equal(fn.value, nmSymbols(path, true).get('getppid'));
    assert.equal(findFunction(table, fn.value + 1)?.name, 'getppid');
    // Debian ships libc stripped: the default read falls back to .dynsym by itself.
    const hasSymtab = spawnSync('readelf', ['-SW', path], { encoding: 'utf8' }).stdout.includes(' .symtab ');
    assert.equal(readElfSymbols(path).source, hasSymtab ? '.symtab' : '.dynsym');
    // Shared object: the executable segment maps file offsets 1:1 to vaddr deltas.
    const exec = table.loads.find((s) => (s.flags & 1) !== 0)!;
    assert.equal(fileOffsetToVaddr(table, exec.offset + 16), exec.vaddr + 16);
  });

  it('rejects non-ELF and missing files with stable codes; the cache remembers failures', () => {
    const notElf = `${spin.dir}/not-elf`;
    writeFileSync(notElf, 'hello, this is not an ELF file at all, but it is long enough for a header.....');
    assert.throws(() => readElfSymbols(notElf), { code: 'ELF_INVALID' });
    assert.throws(() => readElfSymbols(`${spin.dir}/missing`), { code: 'ELF_UNREADABLE' });
    const cache = new ElfCache(2);
    const file = { openPath: notElf, path: notElf, cacheKey: 'k1' };
    assert.equal(cache.get(file), undefined);
    assert.equal(cache.get(file), undefined);
    assert.deepEqual([cache.hits, cache.misses], [1, 1]);
  });
});

describe('/proc/<pid>/maps and user symbolization', () => {
  let spin: SpinBinary;
  let proc: Workload | undefined;
  before(() => {
    spin = buildSpinBinary();
  });
  after(async () => {
    await proc?.kill();
    spin?.remove();
  });

  it('parses executable mappings, including paths with spaces', () => {
    const text = [
      '55d0a0000000-55d0a0001000 r--p 00000000 fd:01 123 /usr/bin/x y',
      '55d0a0001000-55d0a0002000 r-xp 00001000 fd:01 123 /usr/bin/x y',
      '7ffc00000000-7ffc00002000 r-xp 00000000 00:00 0 [vdso]',
      '7ffc00010000-7ffc00020000 rwxp 00000000 00:00 0 ',
      'garbage',
    ].join('\n');
    assert.deepEqual(parseMaps(text), [
      { start: 0x55d0a0001000, end: 0x55d0a0002000, offset: 0x1000, dev: 0xfd01n, inode: 123, path: '/usr/bin/x y' },
      { start: 0x7ffc00000000, end: 0x7ffc00002000, offset: 0, dev: 0n, inode: 0, path: '[vdso]' },
      { start: 0x7ffc00010000, end: 0x7ffc00020000, offset: 0, dev: 0n, inode: 0, path: '' },
    ]);
  });

  it('turns addresses of a live PIE process into its function names (leaf and return addresses)', () => {
    proc = spawnWorkload(spin.path);
    const maps = snapshotMaps(proc.pid);
    assert.ok(maps, 'maps of the live process');
    const table = readElfSymbols(spin.path);
    const fn = table.functions.find((f) => f.name === SPIN_FUNCTION)!;
    const caller = table.functions.find((f) => f.name === SPIN_CALLER)!;
    // Runtime address of a link-time vaddr: through the executable mapping of the binary.
    const mapping = maps.mappings.find((m) => m.file?.path === spin.path);
    assert.ok(mapping, 'the binary is mapped executable');
    const seg = table.loads.find((s) => mapping.offset >= s.offset && mapping.offset < s.offset + s.filesz)!;
    const runtime = (vaddr: number): number => vaddr - seg.vaddr + seg.offset - mapping.offset + mapping.start;
    assert.equal(findMapping(maps, runtime(fn.value))?.start, mapping.start);

    const kallsyms = `${spin.dir}/kallsyms`;
    writeFileSync(kallsyms, 'ffffffff81000000 T vfs_read\nffffffff81000100 T read_zero\nffffffffc0000000 t ext4_read\t[ext4]\n');
    const { folded, stats } = symbolizeProfile({
      kallsymsPath: kallsyms,
      maps: [maps],
      // innermost first, as BPF returns them; a return address right after the call in the
      // caller (caller end) must still resolve to the caller (ip - 1).
      userStacks: [[7, [runtime(fn.value + 4), runtime(caller.value + caller.size)]]],
      kernelStacks: [[3, [0xffffffff81000104n, 0xffffffff81000010n]], [4, [0xffffffffc0000008n]]],
      samples: [
        { tgid: proc.pid, pid: proc.pid, comm: 'at-spin', user: 7, kernel: 'none', count: 5 },
        { tgid: proc.pid, pid: proc.pid, comm: 'at-spin', user: 7, kernel: 3, count: 2 },
        { tgid: proc.pid, pid: proc.pid, comm: 'at-spin', user: 'lost', kernel: 'lost', count: 1 },
        { tgid: 999_999_999, pid: 1, comm: 'gone', user: 7, kernel: 4, count: 1 },
      ],
    });
    assert.deepEqual(folded, [
      // sorted by stack in code-unit order: '[' sorts before 'a'
      { stack: ['at-spin', USER_STACK_LOST_LABEL, KERNEL_STACK_LOST_LABEL], count: 1 },
      { stack: ['at-spin', SPIN_CALLER, SPIN_FUNCTION], count: 5 },
      { stack: ['at-spin', SPIN_CALLER, SPIN_FUNCTION, 'vfs_read_[k]', 'read_zero_[k]'], count: 2 },
      { stack: ['gone', UNKNOWN_LABEL, UNKNOWN_LABEL, 'ext4_read [ext4]_[k]'], count: 1 },
    ]);
    assert.equal(stats.processesWithoutMaps, 1);
    assert.equal(stats.userFramesSymbolized, 2, 'one stack of the live process, memoised');
  });

  it('returns undefined maps for a process that has exited', async () => {
    const w = spawnWorkload('true');
    await waitFor(async () => (await w.exited) !== undefined);
    assert.equal(snapshotMaps(w.pid), undefined);
  });
});
