// The container record and the readings the accounting readers return. A container is a
// cgroup: the same relative path may exist in the v2 (unified) hierarchy and in several v1
// controller hierarchies; the record carries each directory and its inode, because that
// inode is what BPF reports (v2: bpf_get_current_cgroup_id; v1: bpf_task_get_cgroup1).

/** The v1 controllers the resolver tracks (the ones our tracers read). */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/**
 * How the container was recognised: by its runtime's cgroup naming (docker, containerd,
 * crio, podman), a bare 64-hex id under a kubepods tree whose runtime the path does not
 * tell ("kubepods"), or a plain cgroup under a configured plain root ("cgroup").
 */
export type ContainerType = 'docker' | 'containerd' | 'crio' | 'podman' | 'kubepods' | 'cgroup';

export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';

export interface Container {
  /** Runtime id (64 hex) or, for plain cgroups, the path relative to its plain root. */
  readonly id: string;
  /** The cgroup path relative to the hierarchy roots, e.g. `/docker/<id>`. */
  readonly name: string;
  readonly type: ContainerType;
  /** Kubernetes QoS class, only for containers under a kubepods tree. */
  readonly qos?: QosClass;
  /** UTS hostname, when a metadata source knows it (docker's hostname file, or a provider). */
  readonly hostname?: string;
  /** Kubernetes namespace (HUATUO's container_host_namespace), from a metadata provider. */
  readonly hostNamespace?: string;
  /** The name the runtime knows it by (docker's `--name`, the Kubernetes container name), from its files (metadata.ts). */
  readonly containerName?: string;
  /** Kubernetes pod name (runtime annotations/labels, or the kubelet's pod directory). */
  readonly podName?: string;
  /** Kubernetes pod UID (dashes restored for the systemd-slice form). */
  readonly podUid?: string;
  /** Absolute v2 directory, when the cgroup exists in the v2 hierarchy. */
  readonly v2Path?: string;
  /** v2 cgroup id = inode of v2Path; what bpf_get_current_cgroup_id() returns for its tasks. */
  readonly v2Id?: bigint;
  /** Absolute v1 directories per controller (co-mounted controllers share one directory). */
  readonly v1Paths: Readonly<Partial<Record<V1Controller, string>>>;
  /** v1 cgroup ids per controller = inode of the v1 directory (bpf_task_get_cgroup1's kn->id). */
  readonly v1Ids: Readonly<Partial<Record<V1Controller, bigint>>>;
}

/** Identity fields a metadata provider receives to fill hostname / hostNamespace. */
export type ContainerIdentity = Pick<Container, 'id' | 'name' | 'type' | 'podUid'>;
export interface ContainerMetadata {
  hostname?: string;
  hostNamespace?: string;
  containerName?: string;
  podName?: string;
}
export type MetadataProvider = (container: ContainerIdentity) => ContainerMetadata | undefined;

export type AccountingSource = 'v1' | 'v2';

/** Cumulative CPU time since the cgroup was created, in microseconds. */
export interface CpuUsage {
  userUs: number;
  systemUs: number;
  totalUs: number;
  source: AccountingSource;
}

export interface CpuCapacity {
  /** min(cpuset count, quota/period); the online CPU count when neither limits. */
  cores: number;
  /** CPUs the cgroup may run on (cpuset), or the online count when no cpuset applies. */
  cpusetCpus: number;
  /** quota/period in cores, undefined when unlimited. */
  quotaCores?: number;
  onlineCpus: number;
}

export interface Throttling {
  nrPeriods: number;
  nrThrottled: number;
  throttledNs: number;
  /** 'none' when no hierarchy exposes CFS bandwidth statistics for this cgroup. */
  source: AccountingSource | 'none';
}

export interface Tasks {
  /** Thread-group ids (processes). */
  pids: number[];
  /** Thread ids. */
  tids: number[];
}

export interface PressureFigures {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Cumulative stall time in microseconds. */
  totalUs: number;
}
export interface PressureLine {
  some: PressureFigures;
  /** Absent for cpu.pressure on kernels that do not report it. */
  full?: PressureFigures;
}
export interface Pressure {
  cpu?: PressureLine;
  io?: PressureLine;
  memory?: PressureLine;
}
