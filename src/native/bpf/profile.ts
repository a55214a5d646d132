// TS side of profile.bpf.c / profile.h: declared once here, checked against the
// object's BTF by test/native/bpf-layout.test.ts.
import { char, defineLayout, s32, u32, u64 } from '../layout.js';

export const PROFILE_OBJECT = 'profile';
export const PROFILE_PROGRAM = 'sample';
/** HASH struct profile_key -> u64 sample count. */
export const PROFILE_COUNTS_MAP = 'counts';
/** STACK_TRACE map of up to PROFILE_STACK_DEPTH u64 instruction pointers. */
export const PROFILE_STACKS_MAP = 'stacks';
/** PERCPU_ARRAY of u64, indexed by ProfileStat. */
export const PROFILE_STATS_MAP = 'stats';

export const PROFILE_MAX_STACKS = 16384;
export const PROFILE_MAX_COUNTS = 16384;
export const PROFILE_STACK_DEPTH = 127;
/** Stack id meaning "no stack of this kind" (user-mode sample: no kernel stack). Not a loss. */
export const STACK_ID_NONE = -14; // -EFAULT

export const profileKeyLayout = defineLayout('profile_key', {
  cgroup_id: u64,
  pid: u32,
  tgid: u32,
  kstack_id: s32,
  ustack_id: s32,
  comm: char(16),
});

/** Slots of `stats` (enum profile_stat). */
export const ProfileStat = {
  samples: 0,
  filtered: 1,
  kstackLost: 2,
  ustackLost: 3,
  countsFull: 4,
  /** Samples with a kernel or user stack lost to a hash-bucket collision (-EEXIST). */
  collisions: 5,
} as const;
export const PROFILE_STAT_NR = 6;
export type ProfileStatName = keyof typeof ProfileStat;

/** The part of BpfObject the readers need (a structural type keeps this file free of the addon). */
interface MapSource {
  map(name: string): {
    lookupPerCpu(key: Buffer): Buffer[] | undefined;
    entries(): Array<{ key: Buffer; value: Buffer }>;
    stackTrace(id: number): bigint[];
  };
}

export type ProfileStats = Record<ProfileStatName, bigint>;

/** Sums each `stats` slot over CPUs. */
export function readProfileStats(object: MapSource): ProfileStats {
  const stats = object.map(PROFILE_STATS_MAP);
  const out = {} as ProfileStats;
  for (const [name, slot] of Object.entries(ProfileStat) as Array<[ProfileStatName, number]>) {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(slot);
    out[name] = (stats.lookupPerCpu(key) ?? []).reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n);
  }
  return out;
}

export interface ProfileSample {
  cgroupId: bigint;
  pid: number;
  tgid: number;
  comm: string;
  kstackId: number;
  ustackId: number;
  count: bigint;
}

/** Every `counts` entry, decoded. */
export function readProfileCounts(object: MapSource): ProfileSample[] {
  return object.map(PROFILE_COUNTS_MAP).entries().map(({ key, value }) => {
    const k = profileKeyLayout.decode(key);
    return {
      cgroupId: k.cgroup_id,
      pid: k.pid,
      tgid: k.tgid,
      comm: k.comm,
      kstackId: k.kstack_id,
      ustackId: k.ustack_id,
      count: value.readBigUInt64LE(0),
    };
  });
}

/** Instruction pointers of one stack (innermost first); [] for a negative (missing/lost) id. */
export function readStack(object: MapSource, stackId: number): bigint[] {
  return stackId < 0 ? [] : object.map(PROFILE_STACKS_MAP).stackTrace(stackId);
}
