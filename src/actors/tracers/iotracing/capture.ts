// The iotracing capture, usable without the actor runtime: attach the block + sched
// tracepoint programs for `seconds`, follow the processes that issue IO (their open files
// and /proc/<pid>/io, polled so that short-lived writers are not missed), then aggregate
// per process and file, and keep the longest uninterruptible sleeps with their stacks.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BpfObject, BpfOpenOptions } from '../../../native/index.js';
import { KernelSymbols } from '../../../native/kallsyms.js';
import { tracepointUnavailableReason, type TracepointProbe } from '../../../native/bpf/kevents.js';
import {
  IOTRACING_OBJECT,
  IOT_OPTIONAL_PROGRAMS,
  iotracingRodata,
  readBlockedRows,
  readFileRows,
  readIotStats,
  readSleepers,
  splitKernelDev,
  type FileIoRow,
  type IotStats,
} from '../../../native/bpf/iotracing.js';
import { resolveTargetDisks } from './block-topology.js';
import { selectIoStartProgram, startProgramAutoload, type IoStartProgram } from './start-program.js';
import { listPids, readComm, readKernelStack, readProcFile, readProcIo, type ProcIo } from '../../../procfs/index.js';
import { deviceName, openFiles, type OpenFile } from './open-files.js';

export type BpfOpener = (name: string, options: BpfOpenOptions) => BpfObject | Promise<BpfObject>;

export interface CaptureOptions {
  seconds: number;
  /**
   * Only the IO of this device (major:minor); undefined = every device. A partition means its
   * disk's requests, a dm/md device the requests of the disks below it (block-topology.ts);
   * rows still name the partition each IO was submitted to.
   */
  device?: { major: number; minor: number };
  procRoot?: string;
  /** sysfs root for the device topology (tests: a sysfs-shaped fixture). */
  sysRoot?: string;
  signal?: AbortSignal;
  maxProcesses: number;
  maxFilesPerProcess: number;
  maxBlockedStacks: number;
  blockedMinUs: number;
  /** Poll period for open files and /proc/<pid>/io of the IO issuers (ms). */
  pollMs?: number;
  /** Container of a pid (hostname/id), when a resolver is available. */
  containerOf?: (pid: number) => { id: string; hostname?: string } | undefined;
  /** The request-start program; by default what this kernel has (start-program.ts). Tests force 'fallback'. */
  startProgram?: IoStartProgram;
}

export interface FileStat {
  major: number;
  minor: number;
  dev_name: string;
  /** 0 = not known (metadata, swap, or IO outside a read/write/fsync-like syscall). */
  inode: number;
  /** The file's path when (file system, inode) was found among open files seen during the capture, else null. */
  path: string | null;
  /** When path is null: open files of the process on this device (what the IO most likely hit). */
  candidate_paths: string[];
  disk_read_bytes: number;
  disk_write_bytes: number;
  /** Of disk_write_bytes: written back by a kernel flusher for this process, which dirtied the pages. */
  disk_writeback_bytes: number;
  disk_read_bps: number;
  disk_write_bps: number;
  ios: number;
  q2c_us: number;
  d2c_us: number;
  max_q2c_us: number;
  max_d2c_us: number;
}

export interface ProcessIoStat {
  pid: number;
  comm: string;
  container_id: string | null;
  container_hostname: string | null;
  /** From /proc/<pid>/io rchar/wchar deltas over the capture (syscall level), bytes/s. */
  total_fs_read_bps: number;
  total_fs_write_bps: number;
  total_disk_read_bytes: number;
  total_disk_write_bytes: number;
  total_disk_read_bps: number;
  total_disk_write_bps: number;
  total_files: FileStat[];
  total_file_count: number;
}

export interface BlockedStack {
  pid: number;
  tgid: number;
  comm: string;
  container_id: string | null;
  /** Longest uninterruptible sleep (µs), from switch-out to wakeup (or to the capture end when still blocked). */
  blocked_us: number;
  total_blocked_us: number;
  count: number;
  in_iowait: boolean;
  still_blocked: boolean;
  stack: string[];
}

export interface CaptureResult {
  duration_seconds: number;
  /** The whole disks whose requests were recorded ([] = every disk). */
  capture_disks: string[];
  process_file_io_stats: ProcessIoStat[];
  io_blocked_stacks: BlockedStack[];
  /** BPF loss counters (0 = nothing lost). */
  capture_stats: IotStats;
}

const round = (n: number): number => Math.round(n);

/** Optional programs load only where their tracepoint exists (a kernel without one still captures). */
export function optionalProgramsAutoload(probe?: TracepointProbe): Record<string, boolean> {
  return Object.fromEntries(Object.entries(IOT_OPTIONAL_PROGRAMS).map(([program, [category, name]]) => [program, tracepointUnavailableReason(category, name, probe) === undefined]));
}

/** Every autoload choice of the capture object: the start program and the optional programs. */
export function iotracingAutoload(startProgram: IoStartProgram = selectIoStartProgram(), probe?: TracepointProbe): Record<string, boolean> {
  return { ...startProgramAutoload(startProgram), ...optionalProgramsAutoload(probe) };
}

export async function captureIo(open: BpfOpener, options: CaptureOptions): Promise<CaptureResult> {
  const procRoot = options.procRoot ?? '/proc';
  const target = options.device !== undefined ? resolveTargetDisks(options.device, options.sysRoot) : undefined;
  const object = await open(IOTRACING_OBJECT, {
    rodata: iotracingRodata({ targetDisks: target?.kernelDevs ?? [], minBlockedNs: BigInt(options.blockedMinUs) * 1000n }),
    autoload: iotracingAutoload(options.startProgram),
  });
  const ioStart = new Map<number, ProcIo>();
  const ioLast = new Map<number, ProcIo>();
  const files = new Map<number, Map<string, OpenFile>>();
  const comms = new Map<number, string>();
  let rows: FileIoRow[] = [];
  const started = process.hrtime.bigint();
  try {
    // Baseline of every process's io counters: an issuer is only known once it issued.
    for (const pid of listPids(procRoot)) {
      const io = readProcIo(procRoot, pid);
      if (io !== undefined) ioStart.set(pid, io);
    }
    object.attach();
    const deadline = Date.now() + options.seconds * 1000;
    const pollMs = options.pollMs ?? 500;
    const follow = (): void => {
      rows = readFileRows(object);
      for (const tgid of new Set(rows.map((r) => r.tgid))) {
        const io = readProcIo(procRoot, tgid);
        if (io === undefined) continue; // exited: keep what we saw last
        ioLast.set(tgid, io);
        const known = files.get(tgid) ?? new Map<string, OpenFile>();
        for (const f of openFiles(procRoot, tgid)) known.set(f.path, f);
        files.set(tgid, known);
        const comm = readComm(procRoot, tgid);
        if (comm !== undefined) comms.set(tgid, comm);
      }
    };
    while (!options.signal?.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(pollMs, left), undefined, { signal: options.signal }).catch(() => undefined);
      follow();
    }
    object.detach();
    follow();
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = readIotStats(object);
    const blocked = blockedStacks(object, options);
    return {
      duration_seconds: Math.round(elapsedS * 1000) / 1000,
      capture_disks: target?.disks.map((d) => d.name) ?? [],
      process_file_io_stats: aggregate(rows, { ioStart, ioLast, files, comms, elapsedS, options }),
      io_blocked_stacks: blocked,
      capture_stats: stats,
    };
  } finally {
    object.close();
  }
}

function blockedStacks(object: BpfObject, options: CaptureOptions): BlockedStack[] {
  const now = process.hrtime.bigint(); // CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns()
  const minNs = BigInt(options.blockedMinUs) * 1000n;
  let symbols: KernelSymbols | undefined;
  try {
    symbols = KernelSymbols.load();
  } catch {
    symbols = undefined; // addresses stay hex
  }
  const format = (ips: bigint[]): string[] => dropTracingFrames(ips.map((ip) => (symbols !== undefined ? symbols.format(ip) : `0x${ip.toString(16)}`)));
  interface Item { pid: number; tgid: number; comm: string; maxNs: bigint; totalNs: bigint; count: bigint; iowait: boolean; still: boolean; stack: () => string[] }
  const items: Item[] = readBlockedRows(object).map((b) => ({ ...b, still: false, stack: () => format(b.stack) }));
  // Tasks still asleep at the end: their sleep so far counts (a throttled writer may not wake
  // within the window); their stack is read live from /proc/<pid>/stack.
  const procRoot = options.procRoot ?? '/proc';
  for (const s of readSleepers(object)) {
    const ns = now > s.startNs ? now - s.startNs : 0n;
    if (ns < minNs) continue;
    const live = (): string[] => readKernelStack(procRoot, s.pid) ?? [];
    const existing = items.find((i) => i.pid === s.pid);
    if (existing !== undefined) {
      if (ns > existing.maxNs) Object.assign(existing, { maxNs: ns, iowait: s.iowait, still: true, stack: live });
      continue;
    }
    const status = readStatus(procRoot, s.pid);
    items.push({ pid: s.pid, tgid: status.tgid ?? s.pid, comm: status.comm ?? '', maxNs: ns, totalNs: ns, count: 1n, iowait: s.iowait, still: true, stack: live });
  }
  // Tasks sleeping in io_schedule (in_iowait) first: in an IO capture they are the answer;
  // other D sleeps (locks, page faults) follow, each group longest first.
  items.sort((a, b) => (a.iowait !== b.iowait ? (a.iowait ? -1 : 1) : b.maxNs > a.maxNs ? 1 : b.maxNs < a.maxNs ? -1 : 0));
  return items.slice(0, options.maxBlockedStacks).map((i) => ({
    pid: i.pid,
    tgid: i.tgid,
    comm: i.comm,
    container_id: options.containerOf?.(i.tgid)?.id ?? null,
    blocked_us: round(Number(i.maxNs) / 1000),
    total_blocked_us: round(Number(i.totalNs) / 1000),
    count: Number(i.count),
    in_iowait: i.iowait,
    still_blocked: i.still,
    stack: i.stack(),
  }));
}

/** Defensive: cut BPF program / tracepoint glue frames should an unwinder report them. */
export function dropTracingFrames(frames: string[]): string[] {
  let i = 0;
  while (i < frames.length && /^bpf_prog_|^bpf_trace_run|^__bpf_trace_|^__traceiter_|\[bpf\]$/.test(frames[i] ?? '')) i++;
  return frames.slice(i);
}

function readStatus(procRoot: string, pid: number): { tgid?: number; comm?: string } {
  const comm = readComm(procRoot, pid);
  const text = readProcFile(`${procRoot}/${pid}/status`);
  if (text === undefined) return comm !== undefined ? { comm } : {};
  const tgid = Number(/^Tgid:\s*(\d+)/m.exec(text)?.[1]);
  return { ...(Number.isFinite(tgid) ? { tgid } : {}), ...(comm !== undefined ? { comm } : {}) };
}

interface AggregateInput {
  ioStart: Map<number, ProcIo>;
  ioLast: Map<number, ProcIo>;
  files: Map<number, Map<string, OpenFile>>;
  comms: Map<number, string>;
  elapsedS: number;
  options: CaptureOptions;
}

const fileKey = (major: number, minor: number, ino: bigint): string => `${major}:${minor}:${ino}`;

/** (file system major:minor, inode) -> path, over every regular file seen open. */
function pathIndex(files: Map<number, Map<string, OpenFile>>): Map<string, string> {
  const index = new Map<string, string>();
  for (const perProcess of files.values()) {
    for (const f of perProcess.values()) if (f.rdevMajor === undefined) index.set(fileKey(f.major, f.minor, f.ino), f.path);
  }
  return index;
}

function aggregate(rows: FileIoRow[], input: AggregateInput): ProcessIoStat[] {
  const { elapsedS, options } = input;
  const perSecond = (bytes: number): number => round(bytes / Math.max(elapsedS, 0.001));
  const byTgid = new Map<number, FileIoRow[]>();
  for (const r of rows) byTgid.set(r.tgid, [...(byTgid.get(r.tgid) ?? []), r]);
  // Any process's open file names (file system, inode): a file written by one process and
  // flushed by another, or closed by the writer before the last poll, is still named.
  const paths = pathIndex(input.files);
  const processes: ProcessIoStat[] = [];
  for (const [tgid, list] of byTgid) {
    const open = [...(input.files.get(tgid)?.values() ?? [])];
    const fileStats: FileStat[] = list.map((r) => {
      const { major, minor } = splitKernelDev(r.dev);
      const fs = r.fsDev !== 0 ? splitKernelDev(r.fsDev) : { major, minor };
      const onDevice = open.filter((f) => (f.major === fs.major && f.minor === fs.minor) || (f.rdevMajor === major && f.rdevMinor === minor));
      const path = r.ino !== 0n ? (paths.get(fileKey(fs.major, fs.minor, r.ino)) ?? null) : null;
      const ios = Number(r.ios);
      return {
        major,
        minor,
        dev_name: deviceName(major, minor),
        inode: Number(r.ino),
        path,
        candidate_paths: path !== null ? [] : onDevice.map((f) => f.path),
        disk_read_bytes: Number(r.readBytes),
        disk_write_bytes: Number(r.writeBytes),
        disk_writeback_bytes: Number(r.writebackBytes),
        disk_read_bps: perSecond(Number(r.readBytes)),
        disk_write_bps: perSecond(Number(r.writeBytes)),
        ios,
        q2c_us: ios > 0 ? round(Number(r.q2cNsSum) / ios / 1000) : 0,
        d2c_us: ios > 0 ? round(Number(r.d2cNsSum) / ios / 1000) : 0,
        max_q2c_us: round(Number(r.q2cNsMax) / 1000),
        max_d2c_us: round(Number(r.d2cNsMax) / 1000),
      };
    });
    fileStats.sort((a, b) => b.disk_read_bytes + b.disk_write_bytes - (a.disk_read_bytes + a.disk_write_bytes));
    const readBytes = fileStats.reduce((s, f) => s + f.disk_read_bytes, 0);
    const writeBytes = fileStats.reduce((s, f) => s + f.disk_write_bytes, 0);
    const start = input.ioStart.get(tgid);
    const last = input.ioLast.get(tgid);
    const fsRead = start !== undefined && last !== undefined ? Math.max(0, last.rchar - start.rchar) : last?.rchar ?? 0;
    const fsWrite = start !== undefined && last !== undefined ? Math.max(0, last.wchar - start.wchar) : last?.wchar ?? 0;
    const container = options.containerOf?.(tgid);
    processes.push({
      pid: tgid,
      comm: input.comms.get(tgid) ?? list[0]?.comm ?? '',
      container_id: container?.id ?? null,
      container_hostname: container?.hostname ?? null,
      total_fs_read_bps: perSecond(fsRead),
      total_fs_write_bps: perSecond(fsWrite),
      total_disk_read_bytes: readBytes,
      total_disk_write_bytes: writeBytes,
      total_disk_read_bps: perSecond(readBytes),
      total_disk_write_bps: perSecond(writeBytes),
      total_files: fileStats.slice(0, options.maxFilesPerProcess),
      total_file_count: fileStats.length,
    });
  }
  processes.sort((a, b) => b.total_disk_read_bytes + b.total_disk_write_bytes - (a.total_disk_read_bytes + a.total_disk_write_bytes));
  return processes.slice(0, options.maxProcesses);
}
