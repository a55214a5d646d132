// Where the cgroup hierarchies are mounted and which v1 hierarchy id each controller has.
// Read from /proc/self/mountinfo (so co-mounted `cpu,cpuacct` and unusual mount points are
// handled) and /proc/cgroups (hierarchy ids, the argument of bpf_task_get_cgroup1).
import { readFileSync } from 'node:fs';
import { ContainerError } from './errors.js';
import { V1_CONTROLLERS, type V1Controller } from './types.js';

export interface MountedHierarchy {
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/cpu. */
  mountPoint: string;
  /**
   * The cgroup path the mount shows as its top (`/` normally; a sub-path when a cgroup
   * directory was bind-mounted, as inside some containers). /proc/<pid>/cgroup paths are
   * relative to the real hierarchy root, so this prefix is stripped before joining.
   */
  root: string;
}

export interface V1Hierarchy extends MountedHierarchy {
  /** Every controller on this hierarchy, e.g. ['cpu', 'cpuacct'] when co-mounted. */
  controllers: string[];
  /** The hierarchy id from /proc/cgroups (0 when unknown). */
  hierarchyId: number;
}

export interface CgroupMounts {
  v2?: MountedHierarchy;
  v1: Map<V1Controller, V1Hierarchy>;
}

/** Undoes mountinfo's octal escapes (`\040` is a space). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

interface MountinfoEntry {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const root = left[3];
    const mountPoint = left[4];
    const fsType = right[0];
    if (root === undefined || mountPoint === undefined || fsType === undefined) continue;
    entries.push({
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      fsType,
      superOptions: (right[2] ?? '').split(','),
    });
  }
  return entries;
}

/** controller → hierarchy id, from /proc/cgroups (`#subsys_name hierarchy num_cgroups enabled`). */
export function parseProcCgroups(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, hierarchy] = line.split(/\s+/);
    if (name !== undefined && hierarchy !== undefined) ids.set(name, Number(hierarchy));
  }
  return ids;
}

export interface MountOverrides {
  /** Absolute v2 mount point; skips mountinfo for v2. */
  v2Mount?: string;
  /** Absolute v1 directory per controller; skips mountinfo for those controllers. */
  v1Mounts?: Partial<Record<V1Controller, string>>;
}

export function detectCgroupMounts(
  overrides: MountOverrides = {},
  sources: { mountinfo?: string; procCgroups?: string } = {},
): CgroupMounts {
  const mountinfo = sources.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const procCgroups = sources.procCgroups ?? readFileSync('/proc/cgroups', 'utf8');
  const hierarchyIds = parseProcCgroups(procCgroups);
  const entries = parseMountinfo(mountinfo);

  const mounts: CgroupMounts = { v1: new Map() };
  if (overrides.v2Mount !== undefined) {
    mounts.v2 = { mountPoint: overrides.v2Mount, root: '/' };
  } else {
    // Prefer a mount of the whole hierarchy over a bind mount of a sub-tree.
    const v2 = entries.filter((e) => e.fsType === 'cgroup2').sort((a, b) => a.root.length - b.root.length)[0];
    if (v2 !== undefined) mounts.v2 = { mountPoint: v2.mountPoint, root: v2.root };
  }
  for (const controller of V1_CONTROLLERS) {
    const override = overrides.v1Mounts?.[controller];
    if (override !== undefined) {
      mounts.v1.set(controller, {
        mountPoint: override,
        root: '/',
        controllers: [controller],
        hierarchyId: hierarchyIds.get(controller) ?? 0,
      });
      continue;
    }
    const entry = entries
      .filter((e) => e.fsType === 'cgroup' && e.superOptions.includes(controller))
      .sort((a, b) => a.root.length - b.root.length)[0];
    if (entry === undefined) continue;
    mounts.v1.set(controller, {
      mountPoint: entry.mountPoint,
      root: entry.root,
      controllers: entry.superOptions.filter((o) => hierarchyIds.has(o)),
      hierarchyId: hierarchyIds.get(controller) ?? 0,
    });
  }
  if (mounts.v2 === undefined && mounts.v1.size === 0) {
    throw new ContainerError('CONTAINER_NO_CGROUPFS', 'no cgroup v1 or v2 hierarchy is mounted (see /proc/self/mountinfo)');
  }
  return mounts;
}

/**
 * A cgroup path as /proc/<pid>/cgroup shows it, made relative to what the mount shows
 * (`/` for the mount point itself), or undefined when it lies outside the mount.
 */
export function mountRelativePath(hierarchy: MountedHierarchy, cgroupPath: string): string | undefined {
  const root = hierarchy.root === '/' ? '' : hierarchy.root.replace(/\/+$/, '');
  if (root !== '' && cgroupPath !== root && !cgroupPath.startsWith(`${root}/`)) return undefined;
  const rest = cgroupPath.slice(root.length).replace(/^\/+/, '').replace(/\/+$/, '');
  return `/${rest}`;
}
