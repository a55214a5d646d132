// The counters reader (issue 16.4): the dense path reads the per-CPU slot array in one
// batch; it must give exactly what the slot-by-slot read gives, on the real maps, for a
// dense and a sparse slot layout (the 'auto' choice is checked on both).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '../../src/native/index.js';
import { readCgroupCounters, type SlotReadCache, WAITRATE_CG_MAP, WAITRATE_OBJECT, WAITRATE_SLOTS_MAP, waitrateMapSizes, waitrateRodata } from '../../src/native/bpf/waitrate.js';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

/** Loads (does not attach) waitrate and fills `slots` (cgroup id → slot) with distinct per-CPU values. */
function filled(slots: Array<[bigint, number]>): BpfObject {
  const obj = BpfObject.openBuilt(WAITRATE_OBJECT, { rodata: waitrateRodata({ maxCgroups: 256 }), mapSizes: waitrateMapSizes(256) });
  const stats = obj.map(WAITRATE_CG_MAP);
  const cpus = stats.lookupPerCpu(u32(0))?.length ?? 0;
  for (const [id, slot] of [[1n, 0] as [bigint, number], ...slots]) {
    if (id !== 1n) obj.map(WAITRATE_SLOTS_MAP).update(u64(id), u32(slot));
    const perCpu = Array.from({ length: cpus }, (_, cpu) => {
      const v = Buffer.alloc(stats.valueSize);
      for (let f = 0; f < stats.valueSize / 8; f++) v.writeBigUInt64LE(BigInt(slot) * 1_000_000n + BigInt(cpu) * 1000n + BigInt(f) + 1n, f * 8);
      return v;
    });
    stats.update(u32(slot), perCpu);
  }
  return obj;
}

describe('waitrate counters read', () => {
  for (const [name, slots] of [
    ['dense', Array.from({ length: 40 }, (_, i): [bigint, number] => [1000n + BigInt(i), i + 1])],
    ['sparse', [[2000n, 7], [2001n, 200], [2002n, 255]] as Array<[bigint, number]>],
  ] as const) {
    it(`batch read equals per-slot read (${name} slots)`, (t) => {
      const obj = filled(slots);
      t.after(() => obj.close());
      const perSlot = readCgroupCounters(obj, { slotRead: 'per-slot' });
      assert.equal(perSlot.size, slots.length + 1);
      assert.ok([...perSlot.values()].every((c) => c.waitNs > 0n), 'every slot was filled');
      assert.deepEqual(readCgroupCounters(obj, { slotRead: 'batch' }), perSlot);
      assert.deepEqual(readCgroupCounters(obj), perSlot);
    });
  }

  it('a cached read decodes only the slots whose bytes changed, and still equals a fresh read', (t) => {
    const slots = Array.from({ length: 20 }, (_, i): [bigint, number] => [3000n + BigInt(i), i + 1]);
    const obj = filled(slots);
    t.after(() => obj.close());
    const cache: SlotReadCache = { sums: new Map() };
    const first = readCgroupCounters(obj, { cache });
    assert.deepEqual(first, readCgroupCounters(obj, { slotRead: 'per-slot' }));
    const stats = obj.map(WAITRATE_CG_MAP);
    const bumped = stats.lookupPerCpu(u32(5))!.map((v) => {
      const b = Buffer.from(v);
      b.writeBigUInt64LE(b.readBigUInt64LE(8) + 7n, 8); // wait_ns
      return b;
    });
    stats.update(u32(5), bumped);
    const second = readCgroupCounters(obj, { cache });
    assert.deepEqual(second, readCgroupCounters(obj, { slotRead: 'per-slot' }));
    assert.equal(second.get(3004n)!.waitNs, first.get(3004n)!.waitNs + 7n * BigInt(bumped.length));
    assert.equal(second.get(3000n), first.get(3000n), 'an unchanged slot reuses its sum');
    assert.notEqual(second.get(3004n), first.get(3004n));
  });
});
