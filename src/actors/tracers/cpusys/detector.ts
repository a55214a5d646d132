// The cpusys detector, pure: a state machine fed with /proc/stat snapshots, HUATUO HEAD's
// algorithm (core/autotracing/cpusys.go). No I/O, no clock: unit-tested without a kernel.
import { CpuSysError } from './errors.js';

/** The aggregate `cpu` line reduced to what the detector needs (USER_HZ ticks). */
export interface CpuStatSnapshot {
  /** 3rd counter of the line. */
  system: number;
  /** Sum of the first 8 counters (user..steal): guest/guest_nice are already in user/nice. */
  total: number;
}

/** Parses the first line of /proc/stat; it must start with `cpu` and carry at least 4 counters. */
export function parseProcStat(text: string): CpuStatSnapshot {
  const newline = text.indexOf('\n');
  const line = newline === -1 ? text : text.slice(0, newline);
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu') throw new CpuSysError('CPUSYS_STAT_INVALID', `first line of /proc/stat does not start with "cpu": ${JSON.stringify(line.slice(0, 80))}`);
  const counters = fields.slice(1, 9).map(Number);
  if (counters.length < 4 || counters.some((c) => !Number.isFinite(c) || c < 0)) {
    throw new CpuSysError('CPUSYS_STAT_INVALID', `bad cpu counters in /proc/stat: ${JSON.stringify(line.slice(0, 120))}`);
  }
  return { system: counters[2] ?? 0, total: counters.reduce((a, b) => a + b, 0) };
}

export interface CpuSysThresholds {
  sysThreshold: number;
  deltaSysThreshold: number;
}

/** What one sample produced. */
export type CpuSysObservation =
  | { kind: 'reset'; reason: 'rollback' | 'sys-above-total' }
  | { kind: 'skipped' } // no time passed (identical counters)
  | { kind: 'baseline'; percent: number }
  | { kind: 'sample'; percent: number; delta: number; exceeded: boolean };

export class CpuSysDetector {
  // HUATUO starts from zero counters, so the very first read yields the since-boot sys%
  // as the baseline (its end-to-end test relies on that: "baseline 10 %").
  private prev: CpuStatSnapshot = { system: 0, total: 0 };
  private lastPercent: number | undefined;

  constructor(private readonly thresholds: CpuSysThresholds) {}

  /** The last sys% (undefined right after a reset, before the new baseline). */
  get percent(): number | undefined {
    return this.lastPercent;
  }

  feed(now: CpuStatSnapshot): CpuSysObservation {
    const prev = this.prev;
    if (now.system < prev.system || now.total < prev.total) return this.reset(now, 'rollback');
    const dSys = now.system - prev.system;
    const dTotal = now.total - prev.total;
    if (dSys > dTotal) return this.reset(now, 'sys-above-total');
    // Same counters (nothing elapsed): keep the old snapshot so the next delta spans it.
    if (dTotal === 0) return { kind: 'skipped' };
    this.prev = now;
    const percent = Math.floor((100 * dSys) / dTotal);
    const before = this.lastPercent;
    this.lastPercent = percent;
    if (before === undefined) return { kind: 'baseline', percent };
    const delta = percent - before;
    const exceeded = percent > this.thresholds.sysThreshold && delta > this.thresholds.deltaSysThreshold;
    return { kind: 'sample', percent, delta, exceeded };
  }

  private reset(now: CpuStatSnapshot, reason: 'rollback' | 'sys-above-total'): CpuSysObservation {
    this.prev = now;
    this.lastPercent = undefined;
    return { kind: 'reset', reason };
  }
}
