// /proc/<pid>/stack: the kernel stack of a task, innermost first (root / CAP_SYS_ADMIN).
import { readProcFile } from './read.js';

/** "[<0>] wait_for_completion_state+0x1/0x2" lines → "wait_for_completion_state+0x1/0x2", blank lines dropped. */
export function parseKernelStack(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\[<[0-9a-fx]+>\]\s*/, '').trim())
    .filter((l) => l !== '');
}

/**
 * The frames of `<procRoot>/<pid>/stack`; undefined when it cannot be read (the task exited,
 * or no permission). `procRoot` may be a task directory (`/proc/<pid>/task`) for a thread.
 */
export function readKernelStack(procRoot: string, pid: number): string[] | undefined {
  const text = readProcFile(`${procRoot}/${pid}/stack`);
  return text === undefined ? undefined : parseKernelStack(text);
}
