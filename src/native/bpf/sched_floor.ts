// TS side of sched_floor.bpf.c: empty programs on waitrate's hooks (no maps, no layouts).
export const SCHED_FLOOR_OBJECT = 'sched_floor';
/** Program name of each hook, as in waitrate.bpf.c's on_switch / on_wakeup / ... */
export const SCHED_FLOOR_PROGRAMS = {
  sched_switch: 'floor_switch',
  sched_wakeup: 'floor_wakeup',
  sched_wakeup_new: 'floor_wakeup_new',
  sched_migrate_task: 'floor_migrate',
} as const;
