// The iotracing detector (pure): per-device metrics between two diskstats samples, and
// the "two consecutive intervals over a threshold" rule of HUATUO's iotracing.go.
import type { DiskSample } from './diskstats.js';

/** HUATUO's iostatus: bps in bytes/s, iops per s, await in ms, util in %, queue size = avg requests. */
export interface IoStatus {
  read_bps: number;
  write_bps: number;
  read_iops: number;
  write_iops: number;
  read_await: number;
  write_await: number;
  io_util: number;
  queue_size: number;
}

export type ReasonType = 'ioutil' | 'read_bps' | 'write_bps' | 'read_await' | 'write_await';

export interface Thresholds {
  utilPercent: number;
  readMBps: number;
  writeMBps: number;
  awaitMs: number;
}

export interface Anomaly {
  type: ReasonType;
  device: string;
  major: number;
  minor: number;
  iostatus: IoStatus;
  summary: string;
}

const MB = 1024 * 1024;
const ZERO: IoStatus = { read_bps: 0, write_bps: 0, read_iops: 0, write_iops: 0, read_await: 0, write_await: 0, io_util: 0, queue_size: 0 };

/** Metrics over `seconds` between prev and now; all zero when a counter went backwards (device re-registered). */
export function computeIoStatus(prev: DiskSample, now: DiskSample, seconds: number): IoStatus {
  const d = {
    reads: now.reads - prev.reads,
    readSectors: now.readSectors - prev.readSectors,
    readTicks: now.readTicksMs - prev.readTicksMs,
    writes: now.writes - prev.writes,
    writeSectors: now.writeSectors - prev.writeSectors,
    writeTicks: now.writeTicksMs - prev.writeTicksMs,
    ioTicks: now.ioTicksMs - prev.ioTicksMs,
    weighted: now.weightedTicksMs - prev.weightedTicksMs,
  };
  if (Object.values(d).some((v) => v < 0) || seconds <= 0) return { ...ZERO };
  return {
    read_bps: (d.readSectors * 512) / seconds,
    write_bps: (d.writeSectors * 512) / seconds,
    read_iops: d.reads / seconds,
    write_iops: d.writes / seconds,
    read_await: d.reads > 0 ? d.readTicks / d.reads : 0,
    write_await: d.writes > 0 ? d.writeTicks / d.writes : 0,
    io_util: Math.min(100, (d.ioTicks / (seconds * 1000)) * 100),
    queue_size: d.weighted / (seconds * 1000),
  };
}

/** Which rule two consecutive statuses both break, in HUATUO's order (util first). */
export function breach(prev: IoStatus, now: IoStatus, device: string, t: Thresholds): ReasonType | undefined {
  const both = (f: (s: IoStatus) => boolean): boolean => f(prev) && f(now);
  // NVMe drives serve requests in parallel: 100 % "util" only means "never idle" there,
  // so (as HUATUO) util alone does not fire for them; the bps rules below still do.
  if (!device.startsWith('nvme') && both((s) => s.io_util > t.utilPercent)) return 'ioutil';
  if (both((s) => s.read_bps > t.readMBps * MB)) return 'read_bps';
  if (both((s) => s.write_bps > t.writeMBps * MB)) return 'write_bps';
  if (both((s) => s.read_await > t.awaitMs)) return 'read_await';
  if (both((s) => s.write_await > t.awaitMs)) return 'write_await';
  return undefined;
}

export function summarize(type: ReasonType, device: string, major: number, minor: number, s: IoStatus, t: Thresholds): string {
  const value: Record<ReasonType, string> = {
    ioutil: `ioutil=${Math.round(s.io_util)}% (threshold=${t.utilPercent}%)`,
    read_bps: `read_bps=${Math.round(s.read_bps / MB)}MB/s (threshold=${t.readMBps}MB/s)`,
    write_bps: `write_bps=${Math.round(s.write_bps / MB)}MB/s (threshold=${t.writeMBps}MB/s)`,
    read_await: `r_await=${Math.round(s.read_await)}ms (threshold=${t.awaitMs}ms)`,
    write_await: `w_await=${Math.round(s.write_await)}ms (threshold=${t.awaitMs}ms)`,
  };
  return `${value[type]} on ${device}(${major}:${minor}), aqu-sz=${s.queue_size.toFixed(1)}, r_await=${Math.round(s.read_await)}ms w_await=${Math.round(s.write_await)}ms`;
}

export interface DeviceFilter {
  include: readonly string[];
  exclude: readonly string[];
}

/**
 * HUATUO never watches md*: its capture filtered by the md's own dev_t, which (bio-based)
 * has no requests. Here a capture of md or dm records the disks below it
 * (block-topology.ts), so both are watched like any device; `exclude: ["^md"]` restores
 * HUATUO's behaviour.
 */
export function deviceSelected(name: string, filter: DeviceFilter): boolean {
  if (filter.exclude.some((p) => new RegExp(p).test(name))) return false;
  return filter.include.length === 0 || filter.include.some((p) => new RegExp(p).test(name));
}

/**
 * Stateful wrapper: feed it each diskstats reading; it returns the devices whose previous
 * and current intervals both break a threshold (every such device, not only the first:
 * the per-device cooldown decides which fire).
 */
export class IoDetector {
  private readonly samples = new Map<string, DiskSample>();
  private readonly statuses = new Map<string, IoStatus>();
  private lastTime: number | undefined;

  constructor(
    private readonly thresholds: Thresholds,
    private readonly filter: DeviceFilter,
  ) {}

  /** `timeMs`: when the reading was taken (the interval is measured, not assumed). */
  observe(readings: readonly DiskSample[], timeMs: number): { statuses: Map<string, IoStatus>; anomalies: Anomaly[] } {
    const seconds = this.lastTime === undefined ? 0 : (timeMs - this.lastTime) / 1000;
    this.lastTime = timeMs;
    const anomalies: Anomaly[] = [];
    const seen = new Set<string>();
    const current = new Map<string, IoStatus>();
    for (const r of readings) {
      if (!deviceSelected(r.name, this.filter)) continue;
      seen.add(r.name);
      const prevSample = this.samples.get(r.name);
      this.samples.set(r.name, r);
      if (prevSample === undefined || seconds <= 0) continue;
      const status = computeIoStatus(prevSample, r, seconds);
      const prevStatus = this.statuses.get(r.name);
      this.statuses.set(r.name, status);
      current.set(r.name, status);
      if (prevStatus === undefined) continue;
      const type = breach(prevStatus, status, r.name, this.thresholds);
      if (type !== undefined) {
        anomalies.push({ type, device: r.name, major: r.major, minor: r.minor, iostatus: status, summary: summarize(type, r.name, r.major, r.minor, status, this.thresholds) });
      }
    }
    for (const name of [...this.samples.keys()]) {
      if (!seen.has(name)) {
        this.samples.delete(name);
        this.statuses.delete(name);
      }
    }
    return { statuses: current, anomalies };
  }

  /** Forget a device's history (after a capture, so the next trigger needs two fresh intervals). */
  reset(device: string): void {
    this.statuses.delete(device);
  }
}
