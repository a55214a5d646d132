// /proc/<pid>/comm: the task name (at most 15 bytes, set by exec or prctl(PR_SET_NAME)).
import { readProcFile } from './read.js';

export interface ReadCommOptions {
  /**
   * 'both' (default) trims whitespace on both sides; 'end' only drops the trailing newline
   * and spaces, keeping a name a process gave itself with leading spaces (memburst lists
   * names as the process set them).
   */
  trim?: 'both' | 'end';
}

/** undefined when the task has exited. `procRoot` may be a task directory (`/proc/<pid>/task`). */
export function readComm(procRoot: string, pid: number, options: ReadCommOptions = {}): string | undefined {
  const text = readProcFile(`${procRoot}/${pid}/comm`);
  if (text === undefined) return undefined;
  return options.trim === 'end' ? text.trimEnd() : text.trim();
}
