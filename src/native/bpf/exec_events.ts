// TS side of exec_events.bpf.c / exec_events.h: declared once here, checked against the
// object's BTF by test/native/bpf-layout.test.ts.
import { char, defineLayout, u32, u64 } from '../layout.js';

export const EXEC_EVENTS_OBJECT = 'exec_events';
export const EXEC_EVENTS_PROGRAM = 'handle_exec';
/** Ring buffer of struct exec_event; failed reserves are counted in `events_drops`. */
export const EXEC_EVENTS_RING = 'events';
export const TASK_COMM_LEN = 16;
export const EXEC_FILENAME_LEN = 64;

export const execEventLayout = defineLayout('exec_event', {
  cgroup_id: u64,
  pid: u32,
  tgid: u32,
  ppid: u32,
  comm: char(TASK_COMM_LEN),
  filename: char(EXEC_FILENAME_LEN),
});

/**
 * rodata knobs: report only execs whose comm (basename of the executed path, cut to 15
 * bytes) starts with `prefix`. An empty prefix reports every exec.
 */
export function execEventsRodata(prefix = ''): { comm_prefix: Buffer; comm_prefix_len: number } {
  const bytes = Buffer.from(prefix, 'utf8');
  if (bytes.length >= TASK_COMM_LEN) throw new RangeError(`comm prefix '${prefix}' is longer than ${TASK_COMM_LEN - 1} bytes`);
  const comm_prefix = Buffer.alloc(TASK_COMM_LEN);
  bytes.copy(comm_prefix);
  return { comm_prefix, comm_prefix_len: bytes.length };
}
