// Memory and host-fact failures inside the addon become coded JS errors instead of
// aborting the agent (issue #13 item 5): std::bad_alloc, a batch read bigger than its
// cap, an unreadable possible-CPU count. Real BPF (selftest object) on the real kernel.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BpfError, BpfObject } from '../../src/native/index.js';

const fixture = (name: string): string => new URL(`../fixtures/native/${name}`, import.meta.url).pathname;
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const lastJsonLine = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

describe('C++ exceptions reach JS', () => {
  it('std::bad_alloc thrown in an addon method is a JS Error in the caller, not an abort', () => {
    const run = spawnSync(process.execPath, [fixture('bad-alloc.js')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.signal, null, `child died by ${String(run.signal)}: ${run.stderr}`);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(lastJsonLine(run.stdout), { caught: true, isError: true, message: 'std::bad_alloc' });
  });
});

describe('batch reads are capped', () => {
  it('a read needing more than maxBytes throws BPF_MAP_READ_TOO_LARGE; under the cap it reads everything', (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: { on_exec: false, on_switch: false, on_uprobe: false, on_cpu_clock: false } });
    t.after(() => obj.close());
    const map = obj.map('scratch'); // u32 -> u64: 12 bytes a row
    for (let i = 0; i < 500; i++) map.update(u32(i), Buffer.alloc(8, 1));
    for (const batchSize of [16, 4096]) {
      assert.throws(() => map.lookupBatch({ batchSize, maxBytes: 1000 }), (err: unknown) =>
        err instanceof BpfError && err.code === 'BPF_MAP_READ_TOO_LARGE' && /cap of 1000 bytes/.test(err.message), `batchSize ${batchSize}`);
    }
    // A cap smaller than one row: the first batch cannot even be allocated.
    assert.throws(() => map.lookupBatch({ maxBytes: 5 }), { code: 'BPF_MAP_READ_TOO_LARGE' });
    assert.equal(map.lookupBatch({ batchSize: 4096, maxBytes: 64 * 1024 }).length, 500, 'a batch bigger than the cap is shrunk, not refused');
    assert.equal(map.lookupBatch().length, 500, 'the default cap (256 MiB) lets a normal map through');
    assert.throws(() => map.lookupBatch({ maxBytes: 0 }), { code: 'BPF_INVALID_ARGUMENT' });
  });
});

describe('an unreadable possible-CPU count is an error, not "1 CPU"', () => {
  it('with /sys/devices/system/cpu/possible unreadable, per-CPU reads throw BPF_CPU_COUNT_UNAVAILABLE', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'autotracer-cpus-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const garbage = join(dir, 'possible');
    writeFileSync(garbage, 'garbage\n');
    // A private mount namespace: the bind mount is gone when the child exits.
    const script = `mount --bind ${garbage} /sys/devices/system/cpu/possible && exec "${process.execPath}" "${fixture('cpu-count.js')}"`;
    const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, `${String(run.signal)} ${run.stderr}`);
    const result = lastJsonLine(run.stdout) as Record<string, string>;
    for (const key of ['possibleCpus', 'perCpuBatch', 'perCpuLookup', 'wrapper']) {
      assert.match(result[key] ?? '', /^BPF_CPU_COUNT_UNAVAILABLE: /, `${key}: ${result[key]}`);
    }
    assert.equal(result.plainBatch, 'none', 'a map that is not per-CPU does not need the count');
  });
});
