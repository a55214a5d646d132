// Listing the tasks of a procfs root: processes are its numeric entries, threads the
// entries of /proc/<pid>/task. Lists are taken in directory order; a process that exits
// while it is listed is simply left out.
import { readdirSync } from 'node:fs';

const numeric = (name: string): boolean => /^\d+$/.test(name);

/** Every process id under `procRoot` ([] when the root itself cannot be read). */
export function listPids(procRoot: string): number[] {
  try {
    return readdirSync(procRoot).filter(numeric).map(Number);
  } catch {
    return [];
  }
}

/** The thread ids of one process; undefined when it has exited. */
export function listTids(procRoot: string, pid: number): number[] | undefined {
  try {
    return readdirSync(`${procRoot}/${pid}/task`).map(Number);
  } catch {
    return undefined;
  }
}

/** Every thread id of the host: /proc/<pid>/task/<tid> for every process. */
export function listHostTids(procRoot: string): number[] {
  return listPids(procRoot).flatMap((pid) => listTids(procRoot, pid) ?? []);
}
