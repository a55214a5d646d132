// TS side of waitrate.bpf.c / waitrate.h: declared once here, checked against the
// object's BTF by test/waitrate/layout.test.ts.
import { array, defineLayout, u32, u64 } from '../layout.js';
import { nativeAddon } from '../native-binding.js';

export const WAITRATE_OBJECT = 'waitrate';
export const WAITRATE_PROGRAMS = ['on_migrate', 'on_switch', 'on_cgroup_rmdir', 'on_cgroup_release'] as const;
/** Run slices each CPU remembers (WAITRATE_RING). */
export const WAITRATE_RING = 32;
/** Entries (ways) of each CPU's cgroup-id cache (WAITRATE_CGID_WAYS). */
export const WAITRATE_CGID_WAYS = 2;
/** PERCPU_ARRAY slot -> struct waitrate_cg. */
export const WAITRATE_CG_MAP = 'cg_stats';
/** HASH u64 v2 cgroup id -> u32 slot (the root cgroup, id 1, is slot 0 and not in the hash). */
export const WAITRATE_SLOTS_MAP = 'cg_slots';
/** QUEUE of u32 slots freed by cgroup removal, reused first. */
export const WAITRATE_FREE_SLOTS_MAP = 'free_slots';
/** PERCPU_ARRAY[1] of struct waitrate_cpu. */
export const WAITRATE_CPU_MAP = 'cpu_state';
/** The object's .bss: `cgroup_gen` (u64 at offset 0), bumped on each v2 cgroup release (the cgroup-id caches' generation). */
export const WAITRATE_BSS_MAP = 'waitrate.bss';
/** PERCPU_ARRAY of u64, indexed by WaitrateStat. */
export const WAITRATE_STATS_MAP = 'stats';
export const WAITRATE_MAX_CGROUPS = 4096;
export const WAITRATE_ROOT_CGROUP = 1n;

/** struct waitrate_cg; run_ns is unused and always 0 since issue 16.3 (run time comes from cpu.stat), kept for the layout. */
export const waitrateCgLayout = defineLayout('waitrate_cg', {
  run_ns: u64,
  wait_ns: u64,
  inner_ns: u64,
  external_ns: u64,
  latency_ns: u64,
  nr_waits: u64,
});

export const waitrateSliceLayout = defineLayout('waitrate_slice', {
  start_ns: u64,
  cgroup: u64,
});

/**
 * struct waitrate_cpu; `cgid` is struct waitrate_cgid[CGID_WAYS] ({key, id}) and `ring` is
 * struct waitrate_slice[RING] ({start_ns, cgroup}), both read here as u64 pairs.
 */
export const waitrateCpuLayout = defineLayout('waitrate_cpu', {
  last_switch_ns: u64,
  curr_cgroup: u64,
  head: u64,
  cgid_gen: u64,
  cgid: array(u64, WAITRATE_CGID_WAYS * 2),
  ring: array(u64, WAITRATE_RING * 2),
});

export const waitrateTaskLayout = defineLayout('waitrate_task', {
  delay_seen: u64,
  carry_inner: u64,
  carry_external: u64,
  carry_latency: u64,
  slot_cgroup: u64,
  slot: u32,
  seen: u32,
});

export const WaitrateStat = {
  migrations: 0,
  cgroupsFull: 1,
  storageFail: 2,
  clamped: 3,
  truncated: 4,
  unseen: 5,
  slotsFreed: 6,
  slotsReused: 7,
} as const;
export const WAITRATE_STAT_NR = 8;
export type WaitrateStatName = keyof typeof WaitrateStat;
export type WaitrateStats = Record<WaitrateStatName, bigint>;

/** Cumulative counters of one cgroup, summed over CPUs (ns, except nrWaits). */
export interface CgroupWaitCounters {
  runNs: bigint;
  waitNs: bigint;
  innerNs: bigint;
  externalNs: bigint;
  latencyNs: bigint;
  nrWaits: bigint;
}

export interface WaitrateRodata {
  /** Also account waits of root-cgroup (host) tasks. */
  trackRoot?: boolean;
  /** Cgroup slots (must equal the max_entries given to both cgroup maps, see waitrateMapSizes). */
  maxCgroups?: number;
}

export function waitrateRodata(options: WaitrateRodata = {}): Record<string, number> {
  return {
    track_root: options.trackRoot === true ? 1 : 0,
    max_slots: options.maxCgroups ?? WAITRATE_MAX_CGROUPS,
    // on_cgroup_rmdir zeroes a freed slot on every possible CPU.
    nr_cpus: nativeAddon().possibleCpus(),
  };
}

/** max_entries of the three cgroup-slot maps for `maxCgroups` slots. */
export function waitrateMapSizes(maxCgroups: number): Record<string, number> {
  return { [WAITRATE_CG_MAP]: maxCgroups, [WAITRATE_SLOTS_MAP]: maxCgroups, [WAITRATE_FREE_SLOTS_MAP]: maxCgroups };
}

/** The part of BpfObject the readers need (structural, keeps this file free of the addon). */
interface MapSource {
  map(name: string): {
    lookupPerCpu(key: Buffer): Buffer[] | undefined;
    lookupBatch(options?: { batchSize?: number }): Array<{ key: Buffer; value: Buffer }>;
    lookupArrayPrefix(count: number): { values: Buffer; rowBytes: number };
    readonly perCpuStride: number;
  };
}

export function zeroCounters(): CgroupWaitCounters {
  return { runNs: 0n, waitNs: 0n, innerNs: 0n, externalNs: 0n, latencyNs: 0n, nrWaits: 0n };
}

const cgOffset = (name: string): number => {
  const f = waitrateCgLayout.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`waitrate_cg has no field ${name}`);
  return f.offset;
};
const CG_OFFSET = {
  run_ns: cgOffset('run_ns'),
  wait_ns: cgOffset('wait_ns'),
  inner_ns: cgOffset('inner_ns'),
  external_ns: cgOffset('external_ns'),
  latency_ns: cgOffset('latency_ns'),
  nr_waits: cgOffset('nr_waits'),
} as const;

/**
 * Adds one CPU's struct waitrate_cg to `into`. Plain u64 reads at the layout's offsets: the
 * generic decode() (an object per value) cost ~1.7 µs per value, and a read handles
 * slots × CPUs of them every interval (bench/scale.ts).
 */
export function addCgValue(into: CgroupWaitCounters, v: Buffer, at = 0): void {
  into.runNs += v.readBigUInt64LE(at + CG_OFFSET.run_ns);
  into.waitNs += v.readBigUInt64LE(at + CG_OFFSET.wait_ns);
  into.innerNs += v.readBigUInt64LE(at + CG_OFFSET.inner_ns);
  into.externalNs += v.readBigUInt64LE(at + CG_OFFSET.external_ns);
  into.latencyNs += v.readBigUInt64LE(at + CG_OFFSET.latency_ns);
  into.nrWaits += v.readBigUInt64LE(at + CG_OFFSET.nr_waits);
}

/**
 * Slots are read with one batch of keys 0..max when at most this many keys per used slot
 * would be copied; sparser maps are read slot by slot. Freed slots are reused first, so the
 * used slots stay dense in practice.
 */
const DENSE_KEYS_PER_SLOT = 4;

/**
 * Every cgroup's counters, summed over CPUs, keyed by v2 cgroup id. `slotRead` (tests,
 * bench): how the per-CPU array is read; 'auto' batches when the used slots are dense.
 */
/**
 * What one batch read leaves for the next (pass the same object every time): a slot whose
 * bytes on every CPU are unchanged gets its previous sum back without decoding (an idle
 * container's slot; with 256 CPUs, decoding is most of a read).
 */
export interface SlotReadCache {
  values?: Buffer;
  rowBytes?: number;
  sums: Map<number, CgroupWaitCounters>;
}

export function readCgroupCounters(
  object: MapSource,
  options: { slotRead?: 'auto' | 'batch' | 'per-slot'; cache?: SlotReadCache } = {},
): Map<bigint, CgroupWaitCounters> {
  const out = new Map<bigint, CgroupWaitCounters>();
  const slots: Array<[bigint, number]> = [[WAITRATE_ROOT_CGROUP, 0]];
  // One batch syscall per 1024 cgroups instead of two per cgroup (key iteration).
  for (const { key, value } of object.map(WAITRATE_SLOTS_MAP).lookupBatch({ batchSize: 1024 })) slots.push([key.readBigUInt64LE(0), value.readUInt32LE(0)]);
  const stats = object.map(WAITRATE_CG_MAP);
  const maxSlot = slots.reduce((m, [, slot]) => Math.max(m, slot), 0);
  const slotRead = options.slotRead ?? 'auto';
  if (slotRead === 'batch' || (slotRead === 'auto' && maxSlot + 1 <= DENSE_KEYS_PER_SLOT * slots.length)) {
    // Dense: one BPF_MAP_LOOKUP_BATCH for keys 0..maxSlot instead of a syscall per slot.
    const { values, rowBytes } = stats.lookupArrayPrefix(maxSlot + 1);
    const stride = stats.perCpuStride;
    const cache = options.cache;
    const before = cache?.rowBytes === rowBytes ? cache.values : undefined;
    const sums = new Map<number, CgroupWaitCounters>();
    for (const [cgroupId, slot] of slots) {
      const start = slot * rowBytes;
      const end = start + rowBytes;
      let sum = before !== undefined && end <= before.length && values.compare(before, start, end, start, end) === 0 ? cache?.sums.get(slot) : undefined;
      if (sum === undefined) {
        sum = zeroCounters();
        for (let at = start; at < end; at += stride) addCgValue(sum, values, at);
      }
      sums.set(slot, sum);
      out.set(cgroupId, sum);
    }
    if (cache !== undefined) {
      cache.values = values;
      cache.rowBytes = rowBytes;
      cache.sums = sums;
    }
    return out;
  }
  for (const [cgroupId, slot] of slots) {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(slot);
    const sum = zeroCounters();
    for (const v of stats.lookupPerCpu(key) ?? []) addCgValue(sum, v);
    out.set(cgroupId, sum);
  }
  return out;
}

/** Each `stats` slot summed over CPUs. */
export function readWaitrateStats(object: MapSource): WaitrateStats {
  const stats = object.map(WAITRATE_STATS_MAP);
  const out = {} as WaitrateStats;
  for (const [name, slot] of Object.entries(WaitrateStat) as Array<[WaitrateStatName, number]>) {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(slot);
    out[name] = (stats.lookupPerCpu(key) ?? []).reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n);
  }
  return out;
}
