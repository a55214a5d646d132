// Parses /proc/<pid>/cgroup: `0::<path>` is the v2 line, `<hierarchy id>:<controllers>:<path>`
// the v1 lines (controllers comma-separated; named hierarchies appear as `name=systemd`).
import { readProcFile } from './read.js';

export interface ProcCgroups {
  /** The v2 cgroup path, when the process has a v2 line. */
  v2?: string;
  /** v1 controller (or `name=...`) → cgroup path. */
  v1: Map<string, string>;
}

export function parseProcPidCgroup(text: string): ProcCgroups {
  const result: ProcCgroups = { v1: new Map() };
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const hierarchyId = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1); // a path may itself contain ':'
    if (hierarchyId === '0' && controllers === '') result.v2 = path;
    else for (const c of controllers.split(',')) if (c !== '') result.v1.set(c, path);
  }
  return result;
}

/** The cgroups of a process (or thread), or undefined when it has exited. */
export function readProcPidCgroup(procRoot: string, pid: number | 'self'): ProcCgroups | undefined {
  const text = readProcFile(`${procRoot}/${pid}/cgroup`);
  return text === undefined ? undefined : parseProcPidCgroup(text);
}
