// What the hungtask event says about blocked tasks: kernel stack, wchan, state, and the
// host's other D-state tasks. The reading is src/procfs's; here a task that is gone or
// unreadable becomes null / [] / '' as the event's fields expect.
import { listPids, listTids, readComm, readKernelStack, readTaskStat, readWchan } from '../../../procfs/index.js';

/** `/proc/<pid>/stack` frames without the `[<0>] ` prefix ([] when unreadable or gone). */
export function kernelStack(procRoot: string, pid: number): string[] {
  return readKernelStack(procRoot, pid) ?? [];
}

export function wchan(procRoot: string, pid: number): string | null {
  const w = readWchan(procRoot, pid);
  return w === undefined || w === '' || w === '0' ? null : w;
}

/** The one-letter state from /proc/<pid>/stat (after the parenthesised comm). */
export function taskState(procRoot: string, pid: number): string | null {
  return readTaskStat(procRoot, pid)?.state ?? null;
}

export interface BlockedTask {
  pid: number;
  comm: string;
  wchan: string | null;
  stack: string[];
}

/** Every task (thread) of the host in D state, up to `max`. */
export function blockedTasks(procRoot: string, max: number, except: number): BlockedTask[] {
  const out: BlockedTask[] = [];
  for (const p of listPids(procRoot)) {
    const dir = `${procRoot}/${p}/task`;
    for (const tid of listTids(procRoot, p) ?? []) {
      if (out.length >= max) return out;
      if (tid === except || taskState(dir, tid) !== 'D') continue;
      out.push({ pid: tid, comm: readComm(dir, tid) ?? '', wchan: wchan(dir, tid), stack: kernelStack(dir, tid) });
    }
  }
  return out;
}
