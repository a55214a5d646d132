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
import { readProcPidCgroup } from './proc-cgroup.js';
import { scanContainers, type ScanResult } from './scan.js';
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
    this.refresh();
  }

  /** Rescans the trees; records of unchanged containers are kept (same objects). */
  refresh(): RefreshResult {
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
    const cgroups = readProcPidCgroup(pid);
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
