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
  /** Change since the previous percent (0 for the first percent). */
  delta?: Percents;
  /** Window of the last interval (caller's clock, µs) and what it was measured against. */
  window?: { startUs: number; endUs: number; capacityCores: number; usage: UsageCounters };
}

interface ContainerState {
  path: string;
  counters?: UsageCounters & { atUs: number };
  percent?: Percents;
  delta?: Percents;
  window?: Measurement['window'];
}

export type SampleOutcome = 'stored' | 'first-percent' | 'percent' | 'reset';

export class CpuIdleDetector {
  private readonly state = new Map<string, ContainerState>();

  /**
   * Feeds one container's counters read at `nowUs` (any monotonic µs clock), with its
   * capacity in cores. `path` identifies the cgroup: a different path for the same id
   * (container recreated) resets the measurements.
   */
  sample(id: string, path: string, usage: UsageCounters, capacityCores: number, nowUs: number): SampleOutcome {
    let s = this.state.get(id);
    if (s === undefined || s.path !== path) {
      s = { path };
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
      return 'reset';
    }
    const pct = (d: number): number => Math.trunc((d * 100) / elapsedUs / capacityCores);
    const now: Percents = { user: pct(usage.userUs - prev.userUs), system: pct(usage.systemUs - prev.systemUs), total: pct(usage.totalUs - prev.totalUs) };
    const before = s.percent;
    s.percent = now;
    s.delta = before === undefined ? { user: 0, system: 0, total: 0 } : { user: now.user - before.user, system: now.system - before.system, total: now.total - before.total };
    s.window = {
      startUs: prev.atUs,
      endUs: nowUs,
      capacityCores,
      usage: { userUs: usage.userUs - prev.userUs, systemUs: usage.systemUs - prev.systemUs, totalUs: usage.totalUs - prev.totalUs },
    };
    return before === undefined ? 'first-percent' : 'percent';
  }

  /** Forgets containers not in `alive` (HUATUO rebuilds its map each tick). */
  retain(alive: ReadonlySet<string>): void {
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
