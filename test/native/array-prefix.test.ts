// BpfMap.lookupArrayPrefix: keys 0..count-1 of an array map in one BPF_MAP_LOOKUP_BATCH
// (the waitrate reader's dense path, issue 16.4), on real maps of the real kernel: it must
// return exactly what one lookup per key returns, plain and per-CPU, and refuse what is
// not an array or asks past max_entries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '../../src/native/index.js';
import { WAITRATE_CG_MAP, WAITRATE_OBJECT, waitrateMapSizes, waitrateRodata } from '../../src/native/bpf/waitrate.js';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const only = (...programs: string[]): Record<string, boolean> =>
  Object.fromEntries(['on_exec', 'on_switch', 'on_uprobe', 'on_cpu_clock'].map((p) => [p, programs.includes(p)]));

describe('lookupArrayPrefix', () => {
  it('per-CPU array: equals one lookupPerCpu per key, every CPU slot in place', (t) => {
    // waitrate's cg_stats (PERCPU_ARRAY of 48-byte values), loaded but not attached, so
    // only this test writes it.
    const obj = BpfObject.openBuilt(WAITRATE_OBJECT, { rodata: waitrateRodata({ maxCgroups: 64 }), mapSizes: waitrateMapSizes(64) });
    t.after(() => obj.close());
    const map = obj.map(WAITRATE_CG_MAP);
    assert.equal(map.type, 'percpu_array');
    const cpus = map.lookupPerCpu(u32(0))?.length ?? 0;
    assert.ok(cpus >= 1);
    for (const key of [0, 3, 9, 10]) {
      map.update(
        u32(key),
        Array.from({ length: cpus }, (_, cpu) => {
          const v = Buffer.alloc(map.valueSize);
          for (let f = 0; f < map.valueSize / 8; f++) v.writeBigUInt64LE(BigInt(key * 1000 + cpu * 100 + f + 1), f * 8);
          return v;
        }),
      );
    }
    const { values, rowBytes } = map.lookupArrayPrefix(11);
    assert.equal(rowBytes, cpus * map.perCpuStride);
    assert.equal(values.length, 11 * rowBytes);
    for (let key = 0; key < 11; key++) {
      const one = map.lookupPerCpu(u32(key));
      assert.ok(one !== undefined);
      for (let cpu = 0; cpu < cpus; cpu++) {
        const at = key * rowBytes + cpu * map.perCpuStride;
        assert.deepEqual(values.subarray(at, at + map.valueSize), one[cpu], `key ${key} cpu ${cpu}`);
      }
    }
    assert.equal(map.lookupArrayPrefix(0).values.length, 0);
    assert.equal(map.lookupArrayPrefix(64).values.length, 64 * rowBytes, 'the whole array');
    assert.throws(() => map.lookupArrayPrefix(65), { code: 'BPF_INVALID_ARGUMENT' });
    assert.throws(() => map.lookupArrayPrefix(-1), { code: 'BPF_INVALID_ARGUMENT' });
  });

  it('plain array: values back to back; a hash map is refused', (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only() });
    t.after(() => obj.close());
    const counters = obj.map('counters');
    const v = Buffer.alloc(8);
    v.writeBigUInt64LE(42n);
    counters.update(u32(1), v);
    const { values, rowBytes } = counters.lookupArrayPrefix(2);
    assert.equal(rowBytes, 8);
    assert.deepEqual([values.readBigUInt64LE(0), values.readBigUInt64LE(8)], [0n, 42n]);
    assert.throws(() => obj.map('scratch_percpu').lookupArrayPrefix(1), { code: 'BPF_INVALID_ARGUMENT' });
  });
});
