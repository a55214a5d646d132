// TS side of sched_count.bpf.c (no shared struct: one per-CPU u64 counter).
export const SCHED_COUNT_OBJECT = 'sched_count';
export const SCHED_COUNT_PROGRAM = 'count_switch';
/** PERCPU_ARRAY, one u64 at key 0: sched_switch invocations per CPU. */
export const SCHED_COUNT_MAP = 'switches';
