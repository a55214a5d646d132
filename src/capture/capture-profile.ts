// captureProfile(): one CPU profile of the host or of one container, the capture that
// cpusys and cpuidle attach to their events. BPF samples cpu-clock on every CPU for a
// while; then, before the sampled processes can exit, their maps are snapshotted; the
// stacks are symbolized and folded in the piscina pool; flamedata is built from the folds.
import { statSync, statfsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfObject } from '../native/index.js';
import { CGROUP_V2_ROOT, cgroupIdOfPath } from '../native/cgroup-id.js';
import {
  PROFILE_COUNTS_MAP,
  PROFILE_OBJECT,
  PROFILE_PROGRAM,
  PROFILE_STACKS_MAP,
  STACK_ID_NONE,
  readProfileStats,
  readStack,
  profileKeyLayout,
  type ProfileSample,
} from '../native/bpf/profile.js';
import { CaptureError } from './errors.js';
import { topFunctions as rankFunctions, type FlameFrame, type FoldedStack, type TopFunction } from './flamedata.js';
import { onlineCpuCount } from '../containers/cgroup-files.js';
import { planProfileMaps } from './map-sizing.js';
import { checkPidNamespace, type PidNamespaceCheck } from './pid-namespace.js';
import { snapshotMaps, type ProcessMaps } from './proc-maps.js';
import { runSymbolizeJob } from './symbolize-pool.js';
import type { RawSample, StackRef, SymbolizeJob, SymbolizeStats } from './symbolize.js';

export const DEFAULT_FREQUENCY_HZ = 99;
export const DEFAULT_DURATION_MS = 10_000;

/**
 * How a cgroup scope is enforced. 'perf-cgroup': perf events in cgroup mode on the v2
 * directory (the clock only ticks while the cgroup's tasks run: cheapest; includes
 * descendant cgroups). 'bpf-filter': system-wide sampling, the BPF program keeps only
 * tasks whose v2 cgroup id is exactly the target (descendants excluded). 'auto': perf
 * cgroup mode, falling back to the BPF filter when it cannot be attached.
 */
export type CgroupMethod = 'auto' | 'perf-cgroup' | 'bpf-filter';

export type CaptureScopeRequest = { kind: 'host' } | { kind: 'cgroup'; path: string };
export type CaptureScope =
  | { kind: 'host' }
  | {
      kind: 'cgroup';
      /** Absolute v2 directory */
      path: string;
      /** v2 cgroup id (inode), decimal string: JSON-safe, compare with String(bigintId) */
      id: string;
      method: 'perf-cgroup' | 'bpf-filter';
      /** Why 'auto' fell back to the BPF filter. */
      fallbackReason?: string;
    };

export interface CaptureProfileOptions {
  /** default 10 000 ms */
  durationMs?: number;
  /** Sampling frequency per CPU, default 99 Hz (not a multiple of common timer rates). */
  frequency?: number;
  /** default host-wide; `path` is a v2 cgroup directory, absolute or relative to /sys/fs/cgroup/unified */
  scope?: CaptureScopeRequest;
  cgroupMethod?: CgroupMethod;
  /** Ends the capture early; the samples so far are still symbolized and returned. */
  signal?: AbortSignal;
  /** max_entries of the BPF maps (default: planned from frequency x duration x CPUs, see map-sizing.ts). Small values make losses (tests). */
  mapSizes?: { stacks?: number; counts?: number };
  /** CPUs to sample; default every online CPU. */
  cpus?: number[];
  /** How many top self functions to list; 0 = none. Default 20. */
  topFunctions?: number;
  /**
   * How often (ms) to snapshot the maps of processes newly seen in the samples while the
   * capture runs, so a process that exits before the end still gets user symbols. Default
   * 1000; the final snapshot at the end wins for processes still alive.
   */
  mapsSnapshotIntervalMs?: number;
  /** For tests; default /proc/kallsyms. */
  kallsymsPath?: string;
}

export interface ProcessSamples {
  tgid: number;
  comm: string;
  /** v2 cgroup id, decimal string */
  cgroupId: string;
  samples: number;
}

export interface CaptureLost {
  /** Samples whose kernel stack could not be stored (stack map full or bucket collision). */
  kernelStacks: number;
  /** Same for user stacks. */
  userStacks: number;
  /** Samples not counted at all: the `counts` hash was full. */
  countsFull: number;
  /** Samples with a kernel or user stack lost to a stack-map bucket collision (-EEXIST); part of the two above. */
  stackCollisions: number;
}

/** How the BPF maps were sized for this capture. */
export interface CaptureMapSizes {
  /** frequency x duration x CPUs */
  expectedSamples: number;
  /** max_entries of the STACK_TRACE map */
  stacks: number;
  /** max_entries of the counts hash */
  counts: number;
}

export interface ProfileCapture {
  /** ISO-8601 time the sampling started */
  startedAt: string;
  /** Measured sampling time (shorter than asked when aborted). */
  durationMs: number;
  frequency: number;
  scope: CaptureScope;
  /** Samples recorded (= flamedata root value = sum of folded counts). */
  samples: number;
  /** Samples the program kept (recorded + countsFull); more than `samples` only when counts overflowed. */
  samplesSeen: number;
  /** Samples dropped by the BPF cgroup filter (bpf-filter method only). */
  filtered: number;
  lost: CaptureLost;
  maps: CaptureMapSizes;
  /** Whether the agent shares the host PID namespace (else BPF pids do not name /proc entries and user stacks stay unsymbolized). */
  pidNamespace: PidNamespaceCheck;
  aborted: boolean;
  folded: FoldedStack[];
  flamedata: FlameFrame[];
  topFunctions?: TopFunction[];
  /** Samples per process (tgid, comm, cgroup), most first: attribution without walking stacks. */
  processes: ProcessSamples[];
  symbolization: SymbolizeStats;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new CaptureError('CAPTURE_INVALID_OPTIONS', `${name} must be a positive integer, got ${String(value)}`);
  return v;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** The absolute v2 directory of `path`; CAPTURE_CGROUP_NOT_FOUND unless it is a cgroup v2 directory (a v1 one has another id space). */
function resolveCgroupDir(path: string): string {
  const dir = isAbsolute(path) ? path : join(CGROUP_V2_ROOT, path);
  let ok = false;
  try {
    ok = statSync(dir).isDirectory() && statfsSync(dir).type === CGROUP2_SUPER_MAGIC;
  } catch {
    // reported below
  }
  if (!ok) throw new CaptureError('CAPTURE_CGROUP_NOT_FOUND', `${dir} is not a cgroup v2 directory`);
  return dir;
}

export interface ScopedAttach<T> {
  value: T;
  method: 'perf-cgroup' | 'bpf-filter';
  fallbackReason?: string;
}

/**
 * The cgroup-method policy, apart from the kernel so it can be tested: try perf cgroup
 * mode unless told 'bpf-filter'; with 'auto', fall back to the BPF filter when it throws.
 * Throws CAPTURE_ATTACH_FAILED naming every attempt that failed.
 */
export function attachScoped<T>(method: CgroupMethod, perfCgroup: () => T, bpfFilter: () => T, what: string): ScopedAttach<T> {
  const fail = (err: unknown, message: string): never => {
    throw new CaptureError('CAPTURE_ATTACH_FAILED', `${what}: ${message}`, { cause: err });
  };
  let perfError: unknown;
  if (method !== 'bpf-filter') {
    try {
      return { value: perfCgroup(), method: 'perf-cgroup' };
    } catch (err) {
      if (method === 'perf-cgroup') fail(err, `perf cgroup mode failed: ${(err as Error).message}`);
      perfError = err;
    }
  }
  try {
    const value = bpfFilter();
    return perfError === undefined ? { value, method: 'bpf-filter' } : { value, method: 'bpf-filter', fallbackReason: (perfError as Error).message };
  } catch (err) {
    const before = perfError === undefined ? '' : `perf cgroup mode failed (${(perfError as Error).message}), then `;
    return fail(err, `${before}the BPF cgroup filter failed: ${(err as Error).message}`);
  }
}

interface Attached {
  object: BpfObject;
  scope: CaptureScope;
}

/** Opens the profile program and attaches it as the scope asks (with the fallback). */
function openAndAttach(
  scope: CaptureScopeRequest,
  method: CgroupMethod,
  frequency: number,
  mapSizes: Record<string, number>,
  cpus: number[] | undefined,
): Attached {
  const perf = (cgroupPath?: string, targetCgroup?: bigint): BpfObject => {
    const object = BpfObject.openBuilt(PROFILE_OBJECT, { mapSizes, ...(targetCgroup === undefined ? {} : { rodata: { target_cgroup: targetCgroup } }) });
    try {
      object.attachPerfEvent(PROFILE_PROGRAM, { frequency, ...(cgroupPath === undefined ? {} : { cgroupPath }), ...(cpus === undefined ? {} : { cpus }) });
      return object;
    } catch (err) {
      object.close();
      throw err;
    }
  };

  if (scope.kind === 'host') {
    try {
      return { object: perf(), scope: { kind: 'host' } };
    } catch (err) {
      throw new CaptureError('CAPTURE_ATTACH_FAILED', `cannot attach the host-wide profiler: ${(err as Error).message}`, { cause: err });
    }
  }
  const path = resolveCgroupDir(scope.path);
  const id = cgroupIdOfPath(path);
  const attached = attachScoped(method, () => perf(path), () => perf(undefined, id), `cannot profile cgroup ${path}`);
  return {
    object: attached.value,
    scope: {
      kind: 'cgroup',
      path,
      id: String(id),
      method: attached.method,
      ...(attached.fallbackReason === undefined ? {} : { fallbackReason: attached.fallbackReason }),
    },
  };
}

// A function, not an inline test: TS would narrow `signal.aborted` across the awaits.
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

const stackRef = (id: number): StackRef => (id >= 0 ? id : id === STACK_ID_NONE ? 'none' : 'lost');

/**
 * Gives the event loop a turn when this thread has been busy for a while: reading a few
 * thousand stacks is one syscall each (~0.1-0.2 ms on this VM), hundreds of ms in all.
 */
class Yielder {
  #since = performance.now();
  constructor(private readonly sliceMs = 5) {}
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#since < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}

/** Every `counts` entry through batched lookups (one syscall per 1024 entries, not two per entry). */
function readCounts(object: BpfObject): ProfileSample[] {
  return object.map(PROFILE_COUNTS_MAP).lookupBatch({ batchSize: 1024 }).map(({ key, value }) => {
    const k = profileKeyLayout.decode(key);
    return { cgroupId: k.cgroup_id, pid: k.pid, tgid: k.tgid, comm: k.comm, kstackId: k.kstack_id, ustackId: k.ustack_id, count: value.readBigUInt64LE(0) };
  });
}

/** Everything the symbolization job needs, read from the maps and /proc before closing. */
async function collect(object: BpfObject, rows: ProfileSample[], earlyMaps: ReadonlyMap<number, ProcessMaps>): Promise<Pick<SymbolizeJob, 'samples' | 'kernelStacks' | 'userStacks' | 'maps'>> {
  const yielder = new Yielder();
  const samples: RawSample[] = rows.map((r) => ({
    tgid: r.tgid,
    pid: r.pid,
    comm: r.comm,
    kernel: stackRef(r.kstackId),
    user: stackRef(r.ustackId),
    count: Number(r.count),
  }));
  // Maps first: this is the race with exiting processes; the stack map keeps its contents.
  const maps: ProcessMaps[] = [];
  for (const tgid of new Set(rows.filter((r) => r.ustackId >= 0 && r.tgid !== 0).map((r) => r.tgid))) {
    const snapshot = snapshotMaps(tgid) ?? earlyMaps.get(tgid);
    if (snapshot !== undefined) maps.push(snapshot);
    await yielder.maybeYield();
  }
  const kernelStacks: Array<[number, bigint[]]> = [];
  for (const id of new Set(rows.filter((r) => r.kstackId >= 0).map((r) => r.kstackId))) {
    kernelStacks.push([id, readStack(object, id)]);
    await yielder.maybeYield();
  }
  const userStacks: Array<[number, number[]]> = [];
  for (const id of new Set(rows.filter((r) => r.ustackId >= 0).map((r) => r.ustackId))) {
    // User-space addresses are below 2^47: exact as Numbers.
    userStacks.push([id, readStack(object, id).map(Number)]);
    await yielder.maybeYield();
  }
  return { samples, maps, kernelStacks, userStacks };
}

/** Snapshots the maps of processes with user stacks that appeared since the last call (each tried once). */
function snapshotNewProcesses(object: BpfObject, earlyMaps: Map<number, ProcessMaps>, tried: Set<number>): void {
  for (const r of readCounts(object)) {
    if (r.ustackId < 0 || r.tgid === 0 || tried.has(r.tgid)) continue;
    tried.add(r.tgid);
    const snapshot = snapshotMaps(r.tgid);
    if (snapshot !== undefined) earlyMaps.set(r.tgid, snapshot);
  }
}

function perProcess(rows: ProfileSample[]): ProcessSamples[] {
  const byKey = new Map<string, ProcessSamples>();
  for (const r of rows) {
    const key = `${r.tgid}\u0000${r.comm}\u0000${r.cgroupId}`;
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, { tgid: r.tgid, comm: r.comm, cgroupId: String(r.cgroupId), samples: Number(r.count) });
    else seen.samples += Number(r.count);
  }
  return [...byKey.values()].sort((a, b) => b.samples - a.samples || a.tgid - b.tgid || (a.comm < b.comm ? -1 : a.comm > b.comm ? 1 : 0));
}

/**
 * Samples CPU stacks for `durationMs` (or until `signal` aborts) and returns the symbolized
 * profile. Throws CaptureError: CAPTURE_INVALID_OPTIONS, CAPTURE_CGROUP_NOT_FOUND,
 * CAPTURE_ATTACH_FAILED, CAPTURE_SYMBOLIZE_FAILED.
 */
export async function captureProfile(options: CaptureProfileOptions = {}): Promise<ProfileCapture> {
  const frequency = positiveInteger('frequency', options.frequency, DEFAULT_FREQUENCY_HZ);
  const durationMs = positiveInteger('durationMs', options.durationMs, DEFAULT_DURATION_MS);
  const top = options.topFunctions ?? 20;
  if (!Number.isSafeInteger(top) || top < 0) throw new CaptureError('CAPTURE_INVALID_OPTIONS', `topFunctions must be an integer >= 0, got ${top}`);
  const plan = planProfileMaps(frequency, durationMs, options.cpus?.length ?? onlineCpuCount());
  const mapSizes: Record<string, number> = {
    [PROFILE_STACKS_MAP]: positiveInteger('mapSizes.stacks', options.mapSizes?.stacks, plan.stacks),
    [PROFILE_COUNTS_MAP]: positiveInteger('mapSizes.counts', options.mapSizes?.counts, plan.counts),
  };
  const method = options.cgroupMethod ?? 'auto';
  if (method !== 'auto' && method !== 'perf-cgroup' && method !== 'bpf-filter') {
    throw new CaptureError('CAPTURE_INVALID_OPTIONS', `cgroupMethod must be auto, perf-cgroup or bpf-filter, got ${String(method)}`);
  }
  const scopeRequest = options.scope ?? { kind: 'host' };

  const snapshotEvery = positiveInteger('mapsSnapshotIntervalMs', options.mapsSnapshotIntervalMs, 1000);
  const earlyMaps = new Map<number, ProcessMaps>();
  const tried = new Set<number>();
  const { object, scope } = openAndAttach(scopeRequest, method, frequency, mapSizes, options.cpus);
  let job: SymbolizeJob;
  let rows: ProfileSample[];
  let stats: ReturnType<typeof readProfileStats>;
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  let elapsedMs: number;
  let aborted = false;
  try {
    const deadline = Date.now() + durationMs;
    while (!isAborted(options.signal) && Date.now() < deadline) {
      try {
        await sleep(Math.min(snapshotEvery, deadline - Date.now()), undefined, options.signal === undefined ? {} : { signal: options.signal });
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err;
      }
      if (Date.now() < deadline && !isAborted(options.signal)) snapshotNewProcesses(object, earlyMaps, tried);
    }
    aborted = isAborted(options.signal);
    // Stop sampling first: the maps then hold exactly the capture window.
    object.detach();
    elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    stats = readProfileStats(object);
    rows = readCounts(object);
    job = { ...(await collect(object, rows, earlyMaps)), ...(options.kallsymsPath === undefined ? {} : { kallsymsPath: options.kallsymsPath }) };
  } finally {
    object.close();
  }

  const { folded, flamedata, stats: symbolization } = await runSymbolizeJob(job);
  const samples = flamedata[0]?.value ?? 0;
  const result: ProfileCapture = {
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(elapsedMs),
    frequency,
    scope,
    samples,
    samplesSeen: Number(stats.samples - stats.filtered),
    filtered: Number(stats.filtered),
    lost: {
      kernelStacks: Number(stats.kstackLost),
      userStacks: Number(stats.ustackLost),
      countsFull: Number(stats.countsFull),
      stackCollisions: Number(stats.collisions),
    },
    maps: { expectedSamples: plan.expectedSamples, stacks: mapSizes[PROFILE_STACKS_MAP]!, counts: mapSizes[PROFILE_COUNTS_MAP]! },
    pidNamespace: checkPidNamespace(),
    aborted,
    folded,
    flamedata,
    processes: perProcess(rows),
    symbolization,
  };
  if (top > 0) result.topFunctions = rankFunctions(flamedata, top);
  return result;
}
