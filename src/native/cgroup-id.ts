// Cgroup v2 identity, as BPF sees it: bpf_get_current_cgroup_id() returns the kernfs id
// of the task's v2 cgroup, which is the inode number of its directory under the unified
// mount (1 for the root). On this hybrid host v2 lives at /sys/fs/cgroup/unified.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readProcPidCgroup } from '../procfs/index.js';

export const CGROUP_V2_ROOT = '/sys/fs/cgroup/unified';

/** The v2 cgroup id of a cgroup directory (its inode number). */
export function cgroupIdOfPath(dir: string): bigint {
  return statSync(dir, { bigint: true }).ino;
}

/**
 * The v2 cgroup of a process as a path relative to the v2 root (`/` for the root), from
 * the `0::` line of /proc/<pid>/cgroup; undefined when the process has exited or there
 * is no v2 hierarchy.
 */
export function cgroupV2RelativePath(pid: number | 'self'): string | undefined {
  return readProcPidCgroup('/proc', pid)?.v2;
}

/** The v2 cgroup directory of a process, under `root` (default /sys/fs/cgroup/unified). */
export function cgroupV2PathOf(pid: number | 'self', root = CGROUP_V2_ROOT): string | undefined {
  const rel = cgroupV2RelativePath(pid);
  return rel === undefined ? undefined : join(root, rel);
}

/** The v2 cgroup id a BPF program would report for this process, undefined when unknown. */
export function cgroupIdOfProcess(pid: number | 'self', root = CGROUP_V2_ROOT): bigint | undefined {
  const dir = cgroupV2PathOf(pid, root);
  if (dir === undefined) return undefined;
  try {
    return cgroupIdOfPath(dir);
  } catch {
    return undefined; // the cgroup was removed between the two reads
  }
}
