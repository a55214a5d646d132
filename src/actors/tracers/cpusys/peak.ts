// The peak sub-interval of a cpusys interval. HUATUO reports sys% as the mean over the whole
// interval that fired (10 s by default), which understates a short burst: 54 % was reported
// where mpstat's 1 s figures peaked at 77.8 %. The tracer therefore also reads /proc/stat
// every sub-interval (1 s by default) and keeps the readings of the current interval; the
// highest sys% between two consecutive readings is the peak reported next to the mean.
import type { CpuStatSnapshot } from './detector.js';

export interface TimedSnapshot {
  snapshot: CpuStatSnapshot;
  /** Wall-clock ms of the reading. */
  atMs: number;
}

/** A sys% and the wall-clock window (ms since the epoch) it was measured over. */
export interface PercentWindow {
  percent: number;
  start_ms: number;
  end_ms: number;
}

/** sys% between two readings, floored like the detector's; undefined when the pair cannot be used. */
export function sysPercentBetween(a: CpuStatSnapshot, b: CpuStatSnapshot): number | undefined {
  const dSys = b.system - a.system;
  const dTotal = b.total - a.total;
  if (dTotal <= 0 || dSys < 0 || dSys > dTotal) return undefined; // no time passed, or a rollback
  return Math.floor((100 * dSys) / dTotal);
}

export class SubIntervalPeak {
  private points: TimedSnapshot[] = [];

  /** Starts a new interval at this reading (the one the detector's next delta starts from). */
  restart(point: TimedSnapshot): void {
    this.points = [point];
  }

  add(point: TimedSnapshot): void {
    this.points.push(point);
  }

  /** When the current interval started (its first reading), undefined before any reading. */
  get startMs(): number | undefined {
    return this.points[0]?.atMs;
  }

  /**
   * The highest sys% between consecutive readings of the current interval. Pairs further
   * apart than `maxPairMs` are skipped: a late reading (a stalled loop) spans more than one
   * sub-interval and is no sub-interval figure.
   */
  peak(maxPairMs = Number.POSITIVE_INFINITY): PercentWindow | undefined {
    let best: PercentWindow | undefined;
    for (let i = 1; i < this.points.length; i++) {
      const a = this.points[i - 1]!;
      const b = this.points[i]!;
      if (b.atMs - a.atMs > maxPairMs) continue;
      const percent = sysPercentBetween(a.snapshot, b.snapshot);
      if (percent !== undefined && (best === undefined || percent > best.percent)) best = { percent, start_ms: a.atMs, end_ms: b.atMs };
    }
    return best;
  }
}
