// ContainerResolver: the agent's view of which containers exist and how to find one from
// what BPF or /proc tells us (v2 cgroup id, v1 hierarchy + id, pid). Scans are synchronous
// directory walks (cheap: a few hundred readdirs on a busy node); tracers call refresh()
// on their own tick rather than the resolver polling behind their back.
// No zod here (config.ts is imported for its types only): tracer workers construct the
// resolver from settings the supervisor already parsed; createContainerResolver (create.ts)
// is the validating entry for raw configuration.
import * as accounting from './accounting.js';
import type { ContainersConfig } from './config.js';
import { ContainerFilter } from './filter.js';
import { pathSegments } from './id-parser.js';
import { detectCgroupMounts, mountRelativePath, type CgroupMounts, type MountOverrides } from './mounts.js';
import { readProcPidCgroup } from '../procfs/index.js';
import { directFs, scanContainers, type ScanFs, type ScanResult } from './scan.js';
import { WatchedTree } from './tree-watch.js';
import type {
  Container,
  CpuCapacity,
  CpuUsage,
  MetadataProvider,
  Pressure,
  Tasks,
  Throttling,
  V1Controller,
} from './types.js';

export interface ContainerResolverOptions {
  /** Fills hostname / hostNamespace (e.g. from a kubelet pod cache); called once per new container. */
  metadata?: MetadataProvider;
  /** mountinfo and /proc/cgroups text to use instead of the live files (tests). */
  mountSources?: { mountinfo?: string; procCgroups?: string };
  /**
   * Seconds between full rescans from scratch in refreshIfChanged() (default 300), the
   * safety net under the inotify-driven refresh (lost events). Tests lower it.
   */
  rescanSeconds?: number;
}

/** What refresh() / refreshIfChanged() did so far (bench, tests, diagnostics). */
export interface RefreshCounts {
  /** Rescans from scratch: refresh(), and refreshIfChanged()'s first call, safety net and { rescan: true }. */
  full: number;
  /** Scans after a change seen by inotify: only the changed directories are read again. */
  changed: number;
  /** Refreshes that found no change and read nothing. */
  unchanged: number;
}

export interface RefreshResult {
  added: Container[];
  removed: Container[];
}

export class ContainerResolver {
  readonly config: ContainersConfig;
  readonly mounts: CgroupMounts;
  private readonly filter: ContainerFilter;
  private readonly metadata: MetadataProvider | undefined;
  private snapshot: ScanResult = { containers: [], byPath: new Map(), byV2Id: new Map(), byV1Id: new Map(), duplicates: [] };
  private readonly byIdMap = new Map<string, Container>();
  private readonly rescanMs: number;
  /** Created by the first refresh(): a resolver used for one lookup never watches anything. */
  private tree: WatchedTree | undefined;
  private lastRescan = 0;
  readonly refreshCounts: RefreshCounts = { full: 0, changed: 0, unchanged: 0 };

  /**
   * Takes an already-validated configuration (containersConfigSchema's output, defaults
   * applied; use createContainerResolver for raw input), compiles the filter (a bad rule
   * still throws CONTAINER_FILTER_INVALID), finds the mounts and does the first scan.
   */
  constructor(config: ContainersConfig, options: ContainerResolverOptions = {}) {
    this.config = config;
    this.filter = new ContainerFilter(this.config.filter);
    this.metadata = options.metadata;
    const overrides: MountOverrides = {};
    if (this.config.v2Mount !== 'auto') overrides.v2Mount = this.config.v2Mount;
    if (this.config.v1Mounts !== 'auto') overrides.v1Mounts = this.config.v1Mounts;
    this.mounts = detectCgroupMounts(overrides, options.mountSources);
    this.rescanMs = (options.rescanSeconds ?? 300) * 1000;
    this.scan(directFs);
  }

  /**
   * Rescans the trees now (synchronously current: a cgroup made a moment ago is seen);
   * records of unchanged containers are kept (same objects). For a lookup that missed.
   */
  refresh(): RefreshResult {
    this.refreshCounts.full++;
    return this.scan(directFs);
  }

  /**
   * The per-interval refresh: the same result as refresh() for what inotify has reported
   * by now, at the cost of what changed. Cgroups come and go by mkdir/rmdir, which inotify
   * reports (tree-watch.ts): with no change since the last call it reads nothing, after a
   * change only the changed directories. The first call, every `rescanSeconds` after, and
   * `{ rescan: true }` read everything from scratch (the safety net for lost events). A
   * change is seen once its event is delivered, i.e. after the event loop has turned.
   */
  refreshIfChanged(options: { rescan?: boolean } = {}): RefreshResult {
    const now = performance.now();
    const first = this.tree === undefined;
    const tree = (this.tree ??= new WatchedTree());
    const full = first || options.rescan === true || now - this.lastRescan >= this.rescanMs;
    if (!full && !tree.changed) {
      this.refreshCounts.unchanged++;
      return { added: [], removed: [] };
    }
    if (full) {
      tree.reset();
      this.lastRescan = now;
      this.refreshCounts.full++;
    } else this.refreshCounts.changed++;
    tree.markScanned();
    return this.scan(tree);
  }

  /** Stops watching the trees (the next refreshIfChanged() starts again). */
  close(): void {
    this.tree?.close();
    this.tree = undefined;
  }

  private scan(fs: ScanFs): RefreshResult {
    const previous = new Map(this.byIdMap);
    const next = scanContainers(this.mounts, {
      scanRoots: this.config.scanRoots,
      plainRoots: this.config.plainRoots,
      maxDepth: this.config.maxDepth,
      v1Controllers: this.config.v1Controllers,
      runtimeRoots: {
        dockerDataRoot: this.config.dockerDataRoot,
        containerdTaskRoot: this.config.containerdTaskRoot,
        crioContainersRoot: this.config.crioContainersRoot,
        kubeletPodsRoot: this.config.kubeletPodsRoot,
      },
      previous,
      fs,
      ...(this.metadata ? { metadata: this.metadata } : {}),
    });
    this.snapshot = next;
    this.byIdMap.clear();
    for (const c of next.containers) this.byIdMap.set(c.id, c);
    // Kept records are the very same objects; anything else is new. A container whose
    // cgroup was recreated (new inodes, so new BPF ids) is reported removed and added.
    const added = next.containers.filter((c) => previous.get(c.id) !== c);
    const removed = [...previous.values()].filter((old) => this.byIdMap.get(old.id) !== old);
    return { added, removed };
  }

  /** Containers that pass the filter (or all of them with `{ all: true }`), in path order. */
  list(options: { all?: boolean } = {}): Container[] {
    return options.all ? [...this.snapshot.containers] : this.snapshot.containers.filter((c) => this.filter.matches(c));
  }

  /** Whether the include/exclude filter selects this container. */
  isSelected(container: Container): boolean {
    return this.filter.matches(container);
  }

  byId(id: string): Container | undefined {
    return this.byIdMap.get(id);
  }

  /** The container owning a v2 cgroup id (bpf_get_current_cgroup_id), incl. its sub-cgroups. */
  byCgroupId(cgroupId: bigint): Container | undefined {
    return this.snapshot.byV2Id.get(cgroupId);
  }

  /**
   * The v2 cgroup id → container index of the last refresh. Each refresh builds a new map, so
   * a reference kept now still answers for containers that are gone later (waitrate names the
   * competitors of a capture with the index taken when the capture started).
   */
  cgroupIndex(): ReadonlyMap<bigint, Container> {
    return this.snapshot.byV2Id;
  }

  /** The v1 hierarchy id of a controller (the bpf_task_get_cgroup1 argument). */
  hierarchyId(controller: V1Controller): number | undefined {
    return this.mounts.v1.get(controller)?.hierarchyId;
  }

  /** The container owning a v1 cgroup id in a hierarchy (given by id or controller name). */
  byV1Id(hierarchy: number | V1Controller, cgroupId: bigint): Container | undefined {
    const hid = typeof hierarchy === 'number' ? hierarchy : this.hierarchyId(hierarchy);
    return hid === undefined ? undefined : this.snapshot.byV1Id.get(`${hid}:${cgroupId}`);
  }

  /** Directories that looked like a container whose id was already taken (diagnostics). */
  duplicates(): readonly string[] {
    return this.snapshot.duplicates;
  }

  /**
   * The container a process belongs to, from /proc/<pid>/cgroup: its v2 path first, then its
   * v1 paths; the nearest container at or above the process's cgroup. Undefined when the
   * process is in no known container or has exited.
   */
  ofPid(pid: number): Container | undefined {
    const cgroups = readProcPidCgroup('/proc', pid);
    if (cgroups === undefined) return undefined;
    const candidates: string[] = [];
    if (cgroups.v2 !== undefined && this.mounts.v2 !== undefined) {
      const rel = mountRelativePath(this.mounts.v2, cgroups.v2);
      if (rel !== undefined) candidates.push(rel);
    }
    for (const controller of this.config.v1Controllers) {
      const path = cgroups.v1.get(controller);
      const hierarchy = this.mounts.v1.get(controller);
      if (path === undefined || hierarchy === undefined) continue;
      const rel = mountRelativePath(hierarchy, path);
      if (rel !== undefined) candidates.push(rel);
    }
    for (const rel of candidates) {
      const segments = pathSegments(rel);
      for (let n = segments.length; n > 0; n--) {
        const c = this.snapshot.byPath.get(`/${segments.slice(0, n).join('/')}`);
        if (c !== undefined) return c;
      }
    }
    return undefined;
  }

  cpuUsage(container: Container, options?: accounting.SourceOption): CpuUsage {
    return accounting.cpuUsage(container, options);
  }
  cpuCapacity(container: Container): CpuCapacity {
    return accounting.cpuCapacity(container);
  }
  throttling(container: Container): Throttling {
    return accounting.throttling(container);
  }
  /** Usage and throttling with one cpu.stat read where the hierarchy allows (accounting.cpuStat). */
  cpuStat(container: Container): accounting.CpuStatReading {
    return accounting.cpuStat(container);
  }
  tasks(container: Container): Tasks {
    return accounting.tasks(container);
  }
  pressure(container: Container): Pressure {
    return accounting.pressure(container);
  }
}
