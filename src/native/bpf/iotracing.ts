// TS side of iotracing.bpf.c / iotracing.h (layouts checked against BTF by test/iotracing/layout.test.ts).
import { array, char, defineLayout, u32, u64 } from '../layout.js';

export const IOTRACING_OBJECT = 'iotracing';
export const IOT_INFLIGHT_MAP = 'inflight';
export const IOT_FILES_MAP = 'files';
export const IOT_SLEEPERS_MAP = 'sleepers';
export const IOT_BLOCKED_MAP = 'blocked';
export const IOT_STATS_MAP = 'stats';
export const IOT_MAX_FILES = 4096;
export const IOT_MAX_BLOCKED = 4096;

export const IOT_MAX_TARGET_DISKS = 16;
export const IOT_SYSCALL_FILES_MAP = 'syscall_files';
export const IOT_DIRTIERS_MAP = 'dirtiers';

export const iotRqLayout = defineLayout('iot_rq', { ino: u64, queued_ns: u64, issued_ns: u64, dev: u32, tgid: u32, comm: char(16), fs_dev: u32, writeback: u32 });
export const iotKeyLayout = defineLayout('iot_key', { dev: u32, tgid: u32, ino: u64, fs_dev: u32, pad: u32 });
export const iotFileLayout = defineLayout('iot_file', { ino: u64, fs_dev: u32, nr: u32 });
export const iotDirtierLayout = defineLayout('iot_dirtier', { tgid: u32, pad: u32, comm: char(16) });
export const iotValLayout = defineLayout('iot_val', {
  read_bytes: u64,
  write_bytes: u64,
  ios: u64,
  q2c_ns_sum: u64,
  d2c_ns_sum: u64,
  q2c_ns_max: u64,
  d2c_ns_max: u64,
  writeback_bytes: u64,
  comm: char(16),
});
export const IOT_STACK_DEPTH = 32;
export const iotSleepLayout = defineLayout('iot_sleep', { start_ns: u64, iowait: u32, pad: u32 });
export const iotBlockedLayout = defineLayout('iot_blocked', {
  max_ns: u64,
  total_ns: u64,
  count: u64,
  tgid: u32,
  iowait: u32,
  stack_len: u32,
  pad: u32,
  comm: char(16),
  stack: array(u64, IOT_STACK_DEPTH),
});

export const IotStat = { inflightFull: 0, filesFull: 1, untrackedDone: 2, sleepersFull: 3, blockedFull: 4, stackLost: 5, kthreadUnattributed: 6, issueFirstSeen: 7 } as const;
export const IOT_STAT_NR = 8;
export type IotStatName = keyof typeof IotStat;
export type IotStats = Record<IotStatName, number>;

/** Kernel dev_t (MINORBITS = 20), what the BPF side compares and reports. */
export function kernelDev(major: number, minor: number): number {
  return ((major << 20) | minor) >>> 0;
}
export function splitKernelDev(dev: number): { major: number; minor: number } {
  return { major: dev >>> 20, minor: dev & 0xfffff };
}

/**
 * Knobs: `targetDisks` are kernel dev_t values of whole disks (a partition target is its
 * disk, a dm/md target adds the disks below it: block-topology.ts); [] = every disk.
 */
export function iotracingRodata(options: { targetDisks?: readonly number[]; minBlockedNs?: bigint } = {}): Record<string, number | bigint | Buffer> {
  const disks = options.targetDisks ?? [];
  if (disks.length > IOT_MAX_TARGET_DISKS) throw new RangeError(`iotracing: at most ${IOT_MAX_TARGET_DISKS} target disks, got ${disks.length}`);
  const table = Buffer.alloc(IOT_MAX_TARGET_DISKS * 4);
  disks.forEach((dev, i) => table.writeUInt32LE(dev >>> 0, i * 4));
  return { target_disks: table, target_disk_count: disks.length, min_blocked_ns: options.minBlockedNs ?? 0n };
}

/**
 * Programs the capture can run without (tracepoint category/name): without them a row keeps
 * inode 0 for direct IO (`sys_enter`) or leaves flusher writeback with the kworker
 * (`writeback_dirty_folio`, named writeback_dirty_page before 5.17).
 */
export const IOT_OPTIONAL_PROGRAMS: Record<string, [string, string]> = {
  iot_sys_enter: ['raw_syscalls', 'sys_enter'],
  iot_dirty_folio: ['writeback', 'writeback_dirty_folio'],
};

interface MapSource {
  map(name: string): {
    lookupPerCpu(key: Buffer): Buffer[] | undefined;
    entries(): Array<{ key: Buffer; value: Buffer }>;
  };
}

export interface FileIoRow {
  /** Kernel dev_t of the bio's block device (a partition when the IO went to one). */
  dev: number;
  tgid: number;
  ino: bigint;
  /** Kernel dev_t of the file's file system (st_dev), 0 = unknown. */
  fsDev: number;
  /** Of writeBytes: written back by a kernel thread for this process (it dirtied the pages). */
  writebackBytes: bigint;
  readBytes: bigint;
  writeBytes: bigint;
  ios: bigint;
  q2cNsSum: bigint;
  d2cNsSum: bigint;
  q2cNsMax: bigint;
  d2cNsMax: bigint;
  comm: string;
}

export function readFileRows(object: MapSource): FileIoRow[] {
  return object.map(IOT_FILES_MAP).entries().map(({ key, value }) => {
    const k = iotKeyLayout.decode(key);
    const v = iotValLayout.decode(value);
    return {
      dev: k.dev,
      tgid: k.tgid,
      ino: k.ino,
      fsDev: k.fs_dev,
      writebackBytes: v.writeback_bytes,
      readBytes: v.read_bytes,
      writeBytes: v.write_bytes,
      ios: v.ios,
      q2cNsSum: v.q2c_ns_sum,
      d2cNsSum: v.d2c_ns_sum,
      q2cNsMax: v.q2c_ns_max,
      d2cNsMax: v.d2c_ns_max,
      comm: v.comm,
    };
  });
}

export interface BlockedRow {
  pid: number;
  tgid: number;
  comm: string;
  maxNs: bigint;
  totalNs: bigint;
  count: bigint;
  /** Kernel instruction pointers of the longest sleep's stack, innermost first. */
  stack: bigint[];
  iowait: boolean;
}

export function readBlockedRows(object: MapSource): BlockedRow[] {
  return object.map(IOT_BLOCKED_MAP).entries().map(({ key, value }) => {
    const v = iotBlockedLayout.decode(value);
    return { pid: key.readUInt32LE(0), tgid: v.tgid, comm: v.comm, maxNs: v.max_ns, totalNs: v.total_ns, count: v.count, stack: v.stack.slice(0, Math.min(v.stack_len, IOT_STACK_DEPTH)), iowait: v.iowait !== 0 };
  });
}

export interface SleeperRow {
  pid: number;
  startNs: bigint;
  iowait: boolean;
}

/** Tasks still in an uninterruptible sleep (no wakeup yet). */
export function readSleepers(object: MapSource): SleeperRow[] {
  return object.map(IOT_SLEEPERS_MAP).entries().map(({ key, value }) => {
    const v = iotSleepLayout.decode(value);
    return { pid: key.readUInt32LE(0), startNs: v.start_ns, iowait: v.iowait !== 0 };
  });
}

export function readIotStats(object: MapSource): IotStats {
  const stats = object.map(IOT_STATS_MAP);
  const out = {} as IotStats;
  for (const [name, slot] of Object.entries(IotStat) as Array<[IotStatName, number]>) {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(slot);
    out[name] = Number((stats.lookupPerCpu(key) ?? []).reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n));
  }
  return out;
}
