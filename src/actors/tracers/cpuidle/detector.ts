// The cpuidle detector, pure: per-container percent of capacity, deltas, scoring and the
// choice of at most one container per tick (HUATUO HEAD core/autotracing/cpuidle.go).
// No I/O, no clock: counters and times are handed in, so it is unit-tested without a kernel.

/** Cumulative CPU time of a container, microseconds. */
export interface UsageCounters {
  userUs: number;
  systemUs: number;
  totalUs: number;
}

export interface Percents {
  user: number;
  system: number;
  total: number;
}

export interface CpuIdleThresholds {
  userThreshold: number;
  sysThreshold: number;
  usageThreshold: number;
  deltaUserThreshold: number;
  deltaSysThreshold: number;
  deltaUsageThreshold: number;
}

/** One container's state after a sample. */
export interface Measurement {
  id: string;
  /** Percents of capacity over the last interval; undefined until two samples exist. */
  percent?: Percents;
  /** Change since the previous percent (the first percent: 0, or the percent itself for a container that appeared while watched). */
  delta?: Percents;
  /** Window of the last interval (caller's clock, µs) and what it was measured against. */
  window?: { startUs: number; endUs: number; capacityCores: number; usage: UsageCounters };
}

interface ContainerState {
  path: string;
  /**
   * Appeared while the detector was already watching (after its first tick): it did not
   * exist one tick earlier, so its previous percent was 0 and its first percent is a rise.
   */
  appeared: boolean;
  counters?: UsageCounters & { atUs: number };
  percent?: Percents;
  delta?: Percents;
  window?: Measurement['window'];
}

export type SampleOutcome = 'stored' | 'first-percent' | 'percent' | 'reset';

/**
 * Makes a window's user/system split fit its precise CPU time (`totalUs`). On cgroup v1 the
 * user/system counters are tick-sampled (cpuacct.usage_user / usage_sys) while the total is
 * the scheduler's exact runtime (cpuacct.usage), so taken as they are user alone can exceed
 * the total (91 % user with 89 % total was seen). When the split adds up to more than the
 * total it is scaled down to it, in its own proportion (what the kernel's cputime_adjust does
 * for v2's cpu.stat), so user + system ≤ total always holds. A split that adds up to less is
 * kept: scaling it up would invent CPU time the counters did not see.
 */
export function splitToTotal(usage: UsageCounters): UsageCounters {
  const totalUs = Math.max(0, usage.totalUs);
  const ticks = usage.userUs + usage.systemUs;
  if (ticks <= totalUs) return { userUs: usage.userUs, systemUs: usage.systemUs, totalUs };
  return { userUs: (totalUs * usage.userUs) / ticks, systemUs: (totalUs * usage.systemUs) / ticks, totalUs };
}

/**
 * Percents of capacity over a window of `elapsedUs`, truncated toward zero (HUATUO). The
 * user/system split is scaled to the total first, so user + system ≤ total always holds
 * (trunc(a) + trunc(b) ≤ trunc(a + b)).
 */
export function windowPercents(delta: UsageCounters, elapsedUs: number, capacityCores: number): { percent: Percents; usage: UsageCounters } {
  const usage = splitToTotal(delta);
  const pct = (d: number): number => Math.max(0, Math.trunc((d * 100) / elapsedUs / capacityCores));
  return { percent: { user: pct(usage.userUs), system: pct(usage.systemUs), total: pct(usage.totalUs) }, usage };
}

export class CpuIdleDetector {
  private readonly state = new Map<string, ContainerState>();
  /** Completed ticks (retain() calls): containers first seen after the first one have appeared. */
  private ticks = 0;

  /**
   * Feeds one container's counters read at `nowUs` (any monotonic µs clock), with its
   * capacity in cores. `path` identifies the cgroup: a different path for the same id
   * (container recreated) resets the measurements.
   */
  sample(id: string, path: string, usage: UsageCounters, capacityCores: number, nowUs: number): SampleOutcome {
    let s = this.state.get(id);
    if (s === undefined || s.path !== path) {
      // A recreated cgroup (same id, new path/inode) is as new as an unseen one.
      s = { path, appeared: this.ticks > 0 };
      this.state.set(id, s);
    }
    const prev = s.counters;
    s.counters = { ...usage, atUs: nowUs };
    if (prev === undefined) return 'stored';
    const elapsedUs = nowUs - prev.atUs;
    const rolledBack = usage.userUs < prev.userUs || usage.systemUs < prev.systemUs || usage.totalUs < prev.totalUs;
    if (rolledBack || elapsedUs < 1 || !(capacityCores > 0)) {
      delete s.percent;
      delete s.delta;
      delete s.window;
      s.appeared = false; // a rollback restarts the history of a known container, it is not new
      return 'reset';
    }
    const measured = windowPercents(
      { userUs: usage.userUs - prev.userUs, systemUs: usage.systemUs - prev.systemUs, totalUs: usage.totalUs - prev.totalUs },
      elapsedUs,
      capacityCores,
    );
    const now = measured.percent;
    const before = s.percent;
    s.percent = now;
    if (before !== undefined) s.delta = { user: now.user - before.user, system: now.system - before.system, total: now.total - before.total };
    // HUATUO's first percent has delta 0, so a container busy from the moment it appears
    // never registers a jump. One that appeared while we watched was at 0 % a tick ago: its
    // first percent is measured against that 0. A container already there when the tracer
    // started keeps delta 0 (its earlier percent is unknown, not 0).
    else s.delta = s.appeared ? { ...now } : { user: 0, system: 0, total: 0 };
    s.window = { startUs: prev.atUs, endUs: nowUs, capacityCores, usage: measured.usage };
    return before === undefined ? 'first-percent' : 'percent';
  }

  /** Ends a tick: forgets containers not in `alive` (HUATUO rebuilds its map each tick). */
  retain(alive: ReadonlySet<string>): void {
    this.ticks++;
    for (const id of this.state.keys()) if (!alive.has(id)) this.state.delete(id);
  }

  measurement(id: string): Measurement | undefined {
    const s = this.state.get(id);
    if (s === undefined) return undefined;
    return { id, ...(s.percent ? { percent: s.percent } : {}), ...(s.delta ? { delta: s.delta } : {}), ...(s.window ? { window: s.window } : {}) };
  }

  ids(): string[] {
    return [...this.state.keys()];
  }
}

/**
 * HUATUO's score: for each (percent, delta) pair with pct > T and delta > ΔT (both strict),
 * candidate = (pct − T) + (delta − ΔT); the score is the largest. undefined = no pair passed.
 */
export function scoreOf(percent: Percents, delta: Percents, t: CpuIdleThresholds): number | undefined {
  const pairs: Array<[number, number, number, number]> = [
    [percent.user, t.userThreshold, delta.user, t.deltaUserThreshold],
    [percent.system, t.sysThreshold, delta.system, t.deltaSysThreshold],
    [percent.total, t.usageThreshold, delta.total, t.deltaUsageThreshold],
  ];
  let best: number | undefined;
  for (const [pct, threshold, d, deltaThreshold] of pairs) {
    if (pct > threshold && d > deltaThreshold) {
      const candidate = pct - threshold + (d - deltaThreshold);
      if (best === undefined || candidate > best) best = candidate;
    }
  }
  return best;
}

export interface Candidate {
  id: string;
  score: number;
  percent: Percents;
  delta: Percents;
}

/**
 * The containers that qualify this tick, best first (score descending, tie → smaller id,
 * as HUATUO). The caller takes the first one whose cooldown allows it: the same choice as
 * HUATUO's "highest score among those out of cooldown", and at most one capture per tick.
 */
export function rankCandidates(measurements: Iterable<Measurement>, t: CpuIdleThresholds): Candidate[] {
  const out: Candidate[] = [];
  for (const m of measurements) {
    if (m.percent === undefined || m.delta === undefined) continue;
    const score = scoreOf(m.percent, m.delta, t);
    if (score !== undefined) out.push({ id: m.id, score, percent: m.percent, delta: m.delta });
  }
  return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
