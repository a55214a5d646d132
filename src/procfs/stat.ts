// /proc/<pid>/stat and /proc/<pid>/wchan: a task's state and where it sleeps.
import { readProcFile } from './read.js';

export interface TaskStat {
  tid: number;
  comm: string;
  /** The one-letter state of /proc/<tid>/stat: R S D T t Z X I (P, W, K on old kernels). */
  state: string;
  /** CPU it last ran on (field 39), undefined on a short line. */
  cpu?: number;
}

/** "tid (comm) S ..." — comm may hold spaces and parentheses, so split at the LAST ')'. */
export function parseStat(text: string): TaskStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const tid = Number(text.slice(0, open).trim());
  const fields = text.slice(close + 2).split(' '); // fields[0] is field 3 (state)
  const state = fields[0] ?? '';
  if (!Number.isInteger(tid) || state.length !== 1) return undefined;
  const cpu = Number(fields[36]);
  return { tid, comm: text.slice(open + 1, close), state, ...(Number.isInteger(cpu) ? { cpu } : {}) };
}

/** undefined when the task has exited (or the line is malformed). `procRoot` may be a task directory. */
export function readTaskStat(procRoot: string, tid: number): TaskStat | undefined {
  const text = readProcFile(`${procRoot}/${tid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** The trimmed wchan ('' or '0' when the task is running); undefined when the task has exited. */
export function readWchan(procRoot: string, tid: number): string | undefined {
  return readProcFile(`${procRoot}/${tid}/wchan`)?.trim();
}
