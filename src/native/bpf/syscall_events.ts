// TS side of syscall_events.bpf.c / syscall_events.h (the ring-buffer benchmark producer).
import { defineLayout, u32, u64 } from '../layout.js';

export const SYSCALL_EVENTS_OBJECT = 'syscall_events';
export const SYSCALL_EVENTS_PROGRAM = 'on_sys_enter';
export const SYSCALL_EVENTS_RING = 'events';
/** PERCPU_ARRAY, one u64 at key 0: records the program tried to submit. */
export const SYSCALL_EVENTS_PRODUCED_MAP = 'produced';

export const syscallEventLayout = defineLayout('syscall_event', {
  ts_ns: u64,
  tgid: u32,
  syscall_nr: u32,
});

/** rodata knobs: only `targetTgid`'s syscalls; noWakeup submits with BPF_RB_NO_WAKEUP (for periodic consumers). */
export function syscallEventsRodata(targetTgid: number, noWakeup: boolean): { target_tgid: number; no_wakeup: boolean } {
  if (targetTgid <= 0) throw new RangeError('syscall_events needs a target tgid: an unfiltered sys_enter stream floods the ring');
  return { target_tgid: targetTgid, no_wakeup: noWakeup };
}
