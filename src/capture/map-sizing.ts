// Sizes the profiler's BPF maps from the samples a capture can produce, instead of one
// fixed size for a 1 s and a 60 s capture alike. The STACK_TRACE map hashes a stack to
// a bucket and, without BPF_F_REUSE_STACKID, refuses (-EEXIST) a different stack whose
// bucket is taken: with n distinct stacks in m buckets about n / 2m of the inserts
// collide (16384 buckets, ~2000 stacks: the 3-6 % measured on this host). Memory is
// preallocated (max_entries x 127 frames x 8 B), so the size is capped.

/** Stacks a sample can add: one kernel, one user. */
const STACKS_PER_SAMPLE = 2;
/** Buckets per possible stack: keeps the collision rate near 1/(2 x 8) in the worst case (every stack distinct). */
export const STACK_MAP_HEADROOM = 8;
export const STACK_MAP_MIN_ENTRIES = 1024;
/** 65536 x 127 x 8 B ≈ 67 MB of kernel memory while a capture runs: the ceiling. */
export const STACK_MAP_MAX_ENTRIES = 65536;
export const COUNTS_MAP_MIN_ENTRIES = 1024;
export const COUNTS_MAP_MAX_ENTRIES = 65536;

export interface ProfileMapPlan {
  /** frequency x seconds x CPUs: the most samples the capture can take. */
  expectedSamples: number;
  stacks: number;
  counts: number;
}

const nextPowerOfTwo = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
const clamp = (n: number, low: number, high: number): number => Math.min(high, Math.max(low, n));

/** Map sizes for a capture of `durationMs` at `frequency` Hz on `cpus` CPUs. Pure. */
export function planProfileMaps(frequency: number, durationMs: number, cpus: number): ProfileMapPlan {
  const expectedSamples = Math.ceil((frequency * durationMs * Math.max(1, cpus)) / 1000);
  return {
    expectedSamples,
    stacks: clamp(nextPowerOfTwo(expectedSamples * STACKS_PER_SAMPLE) * STACK_MAP_HEADROOM, STACK_MAP_MIN_ENTRIES, STACK_MAP_MAX_ENTRIES),
    // One key per (task, kernel stack, user stack): never more than the samples.
    counts: clamp(nextPowerOfTwo(expectedSamples), COUNTS_MAP_MIN_ENTRIES, COUNTS_MAP_MAX_ENTRIES),
  };
}
