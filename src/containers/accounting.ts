// Accounting readers for one container, on cgroup v1 and v2. On a hybrid host (this one:
// controllers on v1, identity/cpu.stat/PSI on v2) each reading takes the hierarchy that
// actually carries it: cpuacct on v1 when the container has a cpuacct directory, the v2
// core files otherwise. Every reader throws CONTAINER_GONE when the cgroup vanished.
import { ContainerError } from './errors.js';
import { countCpuList, onlineCpuCount, parseKeyValues, readCgroupFile } from './cgroup-files.js';
import type {
  AccountingSource,
  Container,
  CpuCapacity,
  CpuUsage,
  Pressure,
  PressureFigures,
  PressureLine,
  Tasks,
  Throttling,
} from './types.js';

/** USER_HZ: cpuacct.stat counts in these ticks; 100 on every Linux ABI we run on. */
const USER_HZ = 100;

function need(container: Container, value: number | undefined, what: string): number {
  if (value === undefined || !Number.isFinite(value)) {
    throw new ContainerError('CONTAINER_INVALID_VALUE', `container ${container.id}: ${what} is missing or not a number`);
  }
  return value;
}

function cpuUsageV1(container: Container, dir: string): CpuUsage | undefined {
  const total = readCgroupFile(container, dir, 'cpuacct.usage');
  if (total === undefined) return undefined;
  const totalUs = need(container, Number(total.trim()), 'cpuacct.usage') / 1000;
  // usage_user/usage_sys are nanoseconds; cpuacct.stat (USER_HZ ticks) is the older,
  // coarser fallback for kernels without them.
  const user = readCgroupFile(container, dir, 'cpuacct.usage_user');
  const sys = readCgroupFile(container, dir, 'cpuacct.usage_sys');
  if (user !== undefined && sys !== undefined) {
    return {
      userUs: need(container, Number(user.trim()), 'cpuacct.usage_user') / 1000,
      systemUs: need(container, Number(sys.trim()), 'cpuacct.usage_sys') / 1000,
      totalUs,
      source: 'v1',
    };
  }
  const stat = readCgroupFile(container, dir, 'cpuacct.stat');
  if (stat === undefined) return undefined;
  const kv = parseKeyValues(stat);
  return {
    userUs: (need(container, kv.get('user'), 'cpuacct.stat user') * 1e6) / USER_HZ,
    systemUs: (need(container, kv.get('system'), 'cpuacct.stat system') * 1e6) / USER_HZ,
    totalUs,
    source: 'v1',
  };
}

function cpuUsageV2(container: Container, dir: string): CpuUsage | undefined {
  const stat = readCgroupFile(container, dir, 'cpu.stat');
  return stat === undefined ? undefined : usageOfCpuStat(container, parseKeyValues(stat));
}

function usageOfCpuStat(container: Container, kv: Map<string, number>): CpuUsage {
  return {
    userUs: need(container, kv.get('user_usec'), 'cpu.stat user_usec'),
    systemUs: need(container, kv.get('system_usec'), 'cpu.stat system_usec'),
    totalUs: need(container, kv.get('usage_usec'), 'cpu.stat usage_usec'),
    source: 'v2',
  };
}

export interface SourceOption {
  /** 'auto' (default): v1 cpuacct when the container has it, else v2. */
  source?: AccountingSource | 'auto';
}

/** Cumulative user/system/total CPU time of the container, in microseconds. */
export function cpuUsage(container: Container, options: SourceOption = {}): CpuUsage {
  const source = options.source ?? 'auto';
  const v1Dir = container.v1Paths.cpuacct;
  if (source !== 'v2' && v1Dir !== undefined) {
    const usage = cpuUsageV1(container, v1Dir);
    if (usage !== undefined) return usage;
  }
  if (source !== 'v1' && container.v2Path !== undefined) {
    const usage = cpuUsageV2(container, container.v2Path);
    if (usage !== undefined) return usage;
  }
  throw new ContainerError('CONTAINER_UNSUPPORTED', `container ${container.id} has no ${source === 'auto' ? '' : `${source} `}CPU accounting source (no cpuacct directory, no v2 cpu.stat)`);
}

/** quota/period in cores, undefined when unlimited or not configured anywhere. */
function quotaCores(container: Container): number | undefined {
  const v1Dir = container.v1Paths.cpu;
  if (v1Dir !== undefined) {
    const quota = readCgroupFile(container, v1Dir, 'cpu.cfs_quota_us');
    const period = readCgroupFile(container, v1Dir, 'cpu.cfs_period_us');
    if (quota !== undefined && period !== undefined) return coresOf(container, quota.trim(), period.trim(), '-1', 'cpu.cfs_quota_us');
  }
  if (container.v2Path !== undefined) {
    const max = readCgroupFile(container, container.v2Path, 'cpu.max');
    if (max !== undefined) {
      const [quota, period] = max.trim().split(/\s+/);
      return coresOf(container, quota ?? '', period ?? '', 'max', 'cpu.max');
    }
  }
  return undefined;
}

function coresOf(container: Container, quota: string, period: string, unlimited: string, file: string): number | undefined {
  if (quota === unlimited) return undefined;
  const q = Number(quota);
  const p = Number(period);
  // HUATUO treats a zero quota or period as an error rather than guessing.
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) {
    throw new ContainerError('CONTAINER_INVALID_VALUE', `container ${container.id}: ${file} quota=${quota} period=${period}`);
  }
  return q / p;
}

function cpusetCount(container: Container): number | undefined {
  const v1Dir = container.v1Paths.cpuset;
  if (v1Dir !== undefined) {
    // effective_cpus accounts for the ancestors' restrictions; cpuset.cpus is the fallback.
    const text = readCgroupFile(container, v1Dir, 'cpuset.effective_cpus') ?? readCgroupFile(container, v1Dir, 'cpuset.cpus');
    const count = text === undefined ? 0 : countCpuList(text);
    if (count > 0) return count;
  }
  if (container.v2Path !== undefined) {
    const text = readCgroupFile(container, container.v2Path, 'cpuset.cpus.effective');
    const count = text === undefined ? 0 : countCpuList(text);
    if (count > 0) return count;
  }
  return undefined;
}

/** Cores the container may use: min(cpuset count, quota/period); online CPUs when unlimited. */
export function cpuCapacity(container: Container): CpuCapacity {
  const onlineCpus = onlineCpuCount();
  const cpusetCpus = cpusetCount(container) ?? onlineCpus;
  const quota = quotaCores(container);
  const capacity: CpuCapacity = { cores: Math.min(cpusetCpus, quota ?? Infinity), cpusetCpus, onlineCpus };
  if (quota !== undefined) capacity.quotaCores = quota;
  return capacity;
}

/** CFS bandwidth throttling counters (cumulative). */
export function throttling(container: Container): Throttling {
  const v1Dir = container.v1Paths.cpu;
  if (v1Dir !== undefined) {
    const text = readCgroupFile(container, v1Dir, 'cpu.stat');
    const kv = text === undefined ? undefined : parseKeyValues(text);
    if (kv?.has('nr_throttled')) {
      return {
        nrPeriods: kv.get('nr_periods') ?? 0,
        nrThrottled: kv.get('nr_throttled') ?? 0,
        throttledNs: kv.get('throttled_time') ?? 0,
        source: 'v1',
      };
    }
  }
  if (container.v2Path !== undefined) {
    // Without the cpu controller on v2, cpu.stat has only the usage lines.
    const text = readCgroupFile(container, container.v2Path, 'cpu.stat');
    const v2 = text === undefined ? undefined : throttlingOfCpuStat(parseKeyValues(text));
    if (v2 !== undefined) return v2;
  }
  return noThrottling();
}

const noThrottling = (): Throttling => ({ nrPeriods: 0, nrThrottled: 0, throttledNs: 0, source: 'none' });

function throttlingOfCpuStat(kv: Map<string, number>): Throttling | undefined {
  if (!kv.has('nr_throttled')) return undefined;
  return {
    nrPeriods: kv.get('nr_periods') ?? 0,
    nrThrottled: kv.get('nr_throttled') ?? 0,
    throttledNs: (kv.get('throttled_usec') ?? 0) * 1000,
    source: 'v2',
  };
}

/** What a per-interval sampler needs of a container's CPU; parts that failed are absent. */
export interface CpuStatReading {
  usage?: CpuUsage;
  throttling?: Throttling;
}

/**
 * cpuUsage (v2 first when the container has a v2 directory, as waitrate asks) and
 * throttling() together, with one read of the v2 cpu.stat where it carries both (usage and
 * bandwidth lines: the cpu controller is on v2). A hybrid host's v1 cpu directory still
 * gives the throttling (its own read), as throttling() prefers it. Each part fails on its
 * own (a vanished cgroup leaves both absent), like calling the two readers.
 */
export function cpuStat(container: Container): CpuStatReading {
  const dir = container.v2Path;
  if (dir === undefined) {
    const out: CpuStatReading = {};
    try {
      out.usage = cpuUsage(container);
    } catch {
      // no usage source: absent
    }
    try {
      out.throttling = throttling(container);
    } catch {
      // vanished: absent
    }
    return out;
  }
  let kv: Map<string, number> | undefined;
  try {
    const text = readCgroupFile(container, dir, 'cpu.stat');
    kv = text === undefined ? undefined : parseKeyValues(text);
  } catch {
    return {}; // gone (or unreadable): neither part, as both readers would have thrown
  }
  const out: CpuStatReading = {};
  if (kv !== undefined) {
    try {
      out.usage = usageOfCpuStat(container, kv);
    } catch {
      // malformed usage lines: absent
    }
  } else {
    try {
      out.usage = cpuUsage(container, { source: 'v2' });
    } catch {
      // no v2 cpu.stat: absent
    }
  }
  try {
    const v2 = kv === undefined ? undefined : throttlingOfCpuStat(kv);
    // No v1 cpu directory: throttling() would read the same v2 file again.
    out.throttling = container.v1Paths.cpu !== undefined ? throttling(container) : (v2 ?? noThrottling());
  } catch {
    // vanished between the reads: absent
  }
  return out;
}

function parseIds(text: string | undefined, into: Set<number>): void {
  if (text === undefined) return;
  for (const line of text.split('\n')) if (line !== '') into.add(Number(line));
}

/**
 * Processes and threads in the container's own directories (not its sub-cgroups), the
 * union over v2 and every v1 hierarchy: on a hybrid host a task can be moved in one
 * hierarchy and not in another.
 */
export function tasks(container: Container): Tasks {
  const pids = new Set<number>();
  const tids = new Set<number>();
  if (container.v2Path !== undefined) {
    parseIds(readCgroupFile(container, container.v2Path, 'cgroup.procs'), pids);
    parseIds(readCgroupFile(container, container.v2Path, 'cgroup.threads'), tids);
  }
  for (const dir of new Set(Object.values(container.v1Paths))) {
    parseIds(readCgroupFile(container, dir, 'cgroup.procs'), pids);
    parseIds(readCgroupFile(container, dir, 'tasks'), tids);
  }
  const byNumber = (a: number, b: number) => a - b;
  return { pids: [...pids].sort(byNumber), tids: [...tids].sort(byNumber) };
}

function parsePressureFigures(fields: string[]): PressureFigures {
  const kv = new Map(fields.map((f) => f.split('=') as [string, string]));
  return {
    avg10: Number(kv.get('avg10') ?? 0),
    avg60: Number(kv.get('avg60') ?? 0),
    avg300: Number(kv.get('avg300') ?? 0),
    totalUs: Number(kv.get('total') ?? 0),
  };
}

export function parsePressure(text: string): PressureLine | undefined {
  let some: PressureFigures | undefined;
  let full: PressureFigures | undefined;
  for (const line of text.split('\n')) {
    const [kind, ...fields] = line.trim().split(/\s+/);
    if (kind === 'some') some = parsePressureFigures(fields);
    else if (kind === 'full') full = parsePressureFigures(fields);
  }
  if (some === undefined) return undefined;
  return full === undefined ? { some } : { some, full };
}

/** PSI of the container's v2 directory (cpu, io, memory); a resource without a file is absent. */
export function pressure(container: Container): Pressure {
  const dir = container.v2Path;
  if (dir === undefined) {
    throw new ContainerError('CONTAINER_UNSUPPORTED', `container ${container.id} has no v2 directory, so no PSI`);
  }
  const result: Pressure = {};
  for (const resource of ['cpu', 'io', 'memory'] as const) {
    const text = readCgroupFile(container, dir, `${resource}.pressure`);
    const line = text === undefined ? undefined : parsePressure(text);
    if (line !== undefined) result[resource] = line;
  }
  return result;
}

