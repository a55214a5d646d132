// Issue 13 item 9: stack-map collisions counted per capture and the maps sized from the
// expected samples; the ELF reader bounded by what a file really stores (sparse files);
// mapped files matched by (device, inode); the PID namespace checked and reported.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureProfile, closeCapturePool } from '../../src/capture/index.js';
import { readElfSymbols } from '../../src/capture/elf-symbols.js';
import { ElfError } from '../../src/capture/errors.js';
import { planProfileMaps, STACK_MAP_MAX_ENTRIES } from '../../src/capture/map-sizing.js';
import { checkPidNamespace } from '../../src/capture/pid-namespace.js';
import { identifyFile, parseMaps, snapshotMaps } from '../../src/capture/proc-maps.js';
import { onlineCpus, spawnWorkload, waitFor, type Workload } from '../support/host.js';
import { buildSpinBinary, SPIN_FUNCTION, type SpinBinary } from './spin-binary.js';

/** An ELF64 header + one .symtab and one .strtab section header that claim `claim` bytes each, deep in a sparse file. */
function writeSparseElf(path: string, apparentSize: number, claim: number): void {
  const eh = Buffer.alloc(64);
  eh.writeUInt32LE(0x464c457f, 0);
  eh[4] = 2; // ELFCLASS64
  eh[5] = 1; // little-endian
  eh[6] = 1;
  eh.writeUInt16LE(3, 16); // ET_DYN
  eh.writeUInt16LE(62, 18); // x86-64
  eh.writeBigUInt64LE(64n, 40); // e_shoff
  eh.writeUInt16LE(64, 52); // e_ehsize
  eh.writeUInt16LE(64, 58); // e_shentsize
  eh.writeUInt16LE(3, 60); // e_shnum: null, .symtab, .strtab
  const sh = Buffer.alloc(3 * 64);
  const section = (i: number, type: number, offset: number, size: number, link: number, entsize: number): void => {
    const o = i * 64;
    sh.writeUInt32LE(type, o + 4);
    sh.writeBigUInt64LE(BigInt(offset), o + 24);
    sh.writeBigUInt64LE(BigInt(size), o + 32);
    sh.writeUInt32LE(link, o + 40);
    sh.writeBigUInt64LE(BigInt(entsize), o + 56);
  };
  section(1, 2 /* SHT_SYMTAB */, 1 << 20, claim, 2, 24);
  section(2, 3 /* SHT_STRTAB */, (1 << 20) + claim, claim, 0, 0);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, eh, 0, 64, 0);
    writeSync(fd, sh, 0, sh.length, 64);
  } finally {
    closeSync(fd);
  }
  truncateSync(path, apparentSize);
}

describe('profile map sizing (pure)', () => {
  it('sizes the stack map from frequency x duration x CPUs with power-of-two headroom, capped', () => {
    const plan = planProfileMaps(99, 10_000, 2);
    assert.equal(plan.expectedSamples, 1980);
    assert.equal(plan.stacks, 4096 * 8, '2 stacks per sample -> 3960 -> 4096 buckets, x8 headroom');
    assert.equal(plan.counts, 2048);
    assert.ok(planProfileMaps(19, 1000, 1).stacks >= 1024, 'a floor for tiny captures');
    assert.equal(planProfileMaps(99, 60_000, 64).stacks, STACK_MAP_MAX_ENTRIES, 'a ceiling for huge ones (kernel memory)');
    assert.ok(planProfileMaps(99, 30_000, 2).stacks > plan.stacks, 'a longer capture gets a bigger map');
  });
});

describe('ELF reader bounded by the stored size', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'autotracer-elf-bounds-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a sparse 4 GB ELF whose tables claim 512 MB each, without allocating them', () => {
    const path = join(dir, 'sparse.so');
    writeSparseElf(path, 4 * 1024 ** 3, 512 * 1024 ** 2);
    const st = statSync(path);
    assert.equal(st.size, 4 * 1024 ** 3);
    assert.ok(st.blocks * 512 < 1024 * 1024, `really sparse (${st.blocks} blocks)`);
    const rss0 = process.memoryUsage().rss;
    const buffers0 = process.memoryUsage().arrayBuffers;
    assert.throws(() => readElfSymbols(path), (err: unknown) => err instanceof ElfError && err.code === 'ELF_INVALID' && /more than the \d+ bytes the file stores/.test(err.message));
    const grew = Math.max(process.memoryUsage().rss - rss0, process.memoryUsage().arrayBuffers - buffers0);
    assert.ok(grew < 64 * 1024 ** 2, `memory grew ${(grew / 1024 ** 2).toFixed(1)} MB`);
  });

  it('still reads a real binary (the bound is the stored size, not a small constant)', () => {
    const node = readElfSymbols(process.execPath);
    assert.ok(node.functions.length > 1000, `${node.functions.length} functions in node`);
  });
});

describe('mapped files matched by (device, inode)', () => {
  let spin: SpinBinary;
  let proc: Workload | undefined;
  before(() => {
    spin = buildSpinBinary();
  });
  after(async () => {
    await proc?.kill();
    spin?.remove();
  });

  it('does not take a file with the same inode on another device for the mapped one', () => {
    const st = statSync(spin.path, { bigint: true });
    const line = { start: 0x1000, end: 0x2000, dev: st.dev, inode: Number(st.ino), path: spin.path };
    assert.equal(identifyFile(process.pid, line)?.openPath, spin.path, 'same dev and inode: the host path');
    assert.equal(identifyFile(process.pid, { ...line, dev: st.dev + 1n }), undefined, 'same inode, other device: not this file');
  });

  it('parses the device of each mapping as stat() encodes it', () => {
    const mine = parseMaps(spawnSync('cat', ['/proc/self/maps'], { encoding: 'utf8' }).stdout).find((m) => m.path === '/usr/bin/cat');
    assert.ok(mine, 'cat maps itself');
    assert.equal(mine.dev, statSync('/usr/bin/cat', { bigint: true }).dev);
  });

  it('symbolizes a binary deleted while it runs, through /proc/<pid>/map_files', async () => {
    const copy = spin.copy('at-spin-deleted');
    proc = spawnWorkload(copy);
    await waitFor(() => snapshotMaps(proc!.pid)?.mappings.some((m) => m.name === copy), { timeoutMs: 5000, what: 'the copy mapped' });
    unlinkSync(copy);
    const maps = snapshotMaps(proc.pid);
    const mapping = maps?.mappings.find((m) => m.name === `${copy} (deleted)`);
    assert.ok(mapping, `a deleted mapping: ${maps?.mappings.map((m) => m.name).join(', ')}`);
    assert.ok(mapping.file, 'identified through map_files');
    assert.match(mapping.file.openPath, new RegExp(`^/proc/${proc.pid}/map_files/`));
    assert.ok(readElfSymbols(mapping.file.openPath).functions.some((f) => f.name === SPIN_FUNCTION));
  });
});

describe('PID namespace check', () => {
  it('reports a shared namespace for this process', () => {
    const check = checkPidNamespace();
    assert.equal(check.shared, true, check.reason);
  });

  it('reports a private PID namespace (unshare --pid --mount-proc) with a reason', () => {
    const script = `import(${JSON.stringify(new URL('../../src/capture/pid-namespace.js', import.meta.url).href)}).then((m) => console.log(JSON.stringify(m.checkPidNamespace())))`;
    const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    const check = JSON.parse(run.stdout) as ReturnType<typeof checkPidNamespace>;
    assert.equal(check.shared, false);
    assert.match(check.reason ?? '', /--pid=host/);
  });
});

describe('stack-map collisions per capture (real BPF)', () => {
  const workloads: Workload[] = [];
  after(async () => {
    for (const w of workloads.splice(0)) await w.kill();
    await closeCapturePool();
  });

  it('counts samples lost to bucket collisions and reports the planned map sizes', async () => {
    for (const cpu of onlineCpus()) workloads.push(spawnWorkload('taskset', ['-c', String(cpu), 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1']));
    // Four buckets for every stack of a host: nearly every new stack collides.
    const small = await captureProfile({ durationMs: 1500, frequency: 99, mapSizes: { stacks: 4 }, topFunctions: 0 });
    assert.ok(small.lost.stackCollisions > 0, `collisions: ${JSON.stringify(small.lost)}`);
    assert.ok(small.lost.stackCollisions <= small.lost.kernelStacks + small.lost.userStacks);
    assert.equal(small.maps.stacks, 4);
    const planned = await captureProfile({ durationMs: 1000, frequency: 49, topFunctions: 0 });
    const plan = planProfileMaps(49, 1000, onlineCpus().length);
    assert.deepEqual(planned.maps, plan);
    assert.equal(planned.pidNamespace.shared, true);
  });
});
