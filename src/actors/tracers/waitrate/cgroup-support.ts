// Can waitrate measure anything on this host? Its BPF programs key everything by the
// task's cgroup v2 id (task->cgroups->dfl_cgrp). On a cgroup v1-only host the v2 hierarchy
// is not mounted, every task sits in the v2 root (id 1, untracked), and the programs would
// run on every context switch to measure nothing: so the tracer reports itself unavailable
// instead (issue 13.6). Pure decision over the files' text, so fixtures can test it.
import { readFileSync } from 'node:fs';
import { ContainerError } from '../../../containers/errors.js';
import { detectCgroupMounts } from '../../../containers/mounts.js';

export const NEEDS_V2 = 'unavailable: needs cgroup v2 task ids';

export interface CgroupSources {
  /** /proc/self/mountinfo */
  mountinfo: string;
  /** /proc/cgroups */
  procCgroups: string;
  /** /proc/self/cgroup */
  selfCgroup: string;
}

export type V2Support = { available: true; v2Mount: string } | { available: false; reason: string };

/**
 * `containers` (optional): the containers being watched; when there are some and none has a
 * v2 cgroup, their tasks are all in the v2 root as far as BPF can see (a v2 mount nobody uses).
 */
export function cgroupV2Support(sources: CgroupSources, containers: ReadonlyArray<{ v2Id?: bigint }> = []): V2Support {
  let v2Mount: string | undefined;
  try {
    v2Mount = detectCgroupMounts({}, { mountinfo: sources.mountinfo, procCgroups: sources.procCgroups }).v2?.mountPoint;
  } catch (err) {
    if (!(err instanceof ContainerError)) throw err;
  }
  if (v2Mount === undefined) {
    return { available: false, reason: `${NEEDS_V2} (the cgroup v2 hierarchy is not mounted: every task is in the v2 root, so no container can be told apart)` };
  }
  const unified = sources.selfCgroup.split('\n').find((line) => line.startsWith('0::'));
  if (unified === undefined) {
    return { available: false, reason: `${NEEDS_V2} (/proc/self/cgroup has no "0::" line: this kernel shows tasks no v2 cgroup)` };
  }
  if (containers.length > 0 && containers.every((c) => c.v2Id === undefined)) {
    return { available: false, reason: `${NEEDS_V2} (none of the ${containers.length} watched containers has a v2 cgroup: their tasks are in the v2 root)` };
  }
  return { available: true, v2Mount };
}

/** This host's files, as cgroupV2Support reads them. */
export function readCgroupSources(): CgroupSources {
  return {
    mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
    procCgroups: readFileSync('/proc/cgroups', 'utf8'),
    selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
  };
}
