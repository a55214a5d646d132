// /proc readers for blocked tasks: kernel stack, wchan, state, and the host's D-state tasks.
import { readdirSync, readFileSync } from 'node:fs';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** `/proc/<pid>/stack` frames without the `[<0>] ` prefix ([] when unreadable or gone). */
export function kernelStack(procRoot: string, pid: number): string[] {
  return (read(`${procRoot}/${pid}/stack`) ?? '')
    .split('\n')
    .map((l) => l.replace(/^\[<[0-9a-fx]+>\]\s*/, '').trim())
    .filter(Boolean);
}

export function wchan(procRoot: string, pid: number): string | null {
  const w = read(`${procRoot}/${pid}/wchan`)?.trim();
  return w === undefined || w === '' || w === '0' ? null : w;
}

/** The one-letter state from /proc/<pid>/stat (after the parenthesised comm). */
export function taskState(procRoot: string, pid: number): string | null {
  const stat = read(`${procRoot}/${pid}/stat`);
  if (stat === undefined) return null;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null;
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
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const p of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`${procRoot}/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tids) {
      if (out.length >= max) return out;
      const tid = Number(t);
      if (tid === except || taskState(`${procRoot}/${p}/task`, tid) !== 'D') continue;
      const dir = `${procRoot}/${p}/task`;
      out.push({ pid: tid, comm: read(`${dir}/${tid}/comm`)?.trim() ?? '', wchan: wchan(dir, tid), stack: kernelStack(dir, tid) });
    }
  }
  return out;
}
