// Pure: builds the snake_case `tracer_data` of a waitrate event (fields in docs/waitrate.md).
import type { Container } from '../../../containers/index.js';
import type { RawCapture } from './capture.js';
import type { DetectorThreshold, Verdict } from './detector.js';
import type { WaitRates } from './rates.js';
import { histogramBuckets, rankCompetitors, type NamedCompetitor, type Ranking } from './ranking.js';

export interface WaitrateEventData extends WaitRates {
  container_id: string;
  container_name: string;
  container_qos: string;
  threshold: number;
  window_mean: number;
  window_std: number;
  k: number;
  min_threshold: number;
  min_rise: number;
  floor_percent: number;
  floor_intervals: number;
  /** 'spike' (over the window's mean + k·std), 'floor' (over floor_percent for floor_intervals samples), or a manual trigger's reason. */
  reason: string;
  capture_seconds: number;
  attributed_wait_ns: number;
  inner_share: number;
  idle_share: number;
  competitors: Ranking['competitors'];
  wait_histogram_us: Array<{ le_us: number; count: number }>;
  capture_waits: number;
  capture_wait_ns: number;
  capture_truncated_waits: number;
  capture_migrated_ns: number;
  capture_overflows: number;
}

/** Names a competitor cgroup: a known container, a host process (root cgroup), or a bare cgroup id. */
export function competitorNamer(
  byCgroupId: (id: bigint) => Container | undefined,
  comms: Map<number, string>,
): (cgroup: bigint, tgid: number) => NamedCompetitor {
  return (cgroup, tgid) => {
    if (cgroup === 1n) return { kind: 'host_process', id: `pid:${tgid}`, name: comms.get(tgid) ?? `pid ${tgid}` };
    const container = byCgroupId(cgroup);
    if (container !== undefined) return { kind: 'container', id: container.id, name: container.containerName ?? container.name };
    return { kind: 'cgroup', id: `cgroup:${cgroup}`, name: `cgroup ${cgroup}` };
  };
}

/**
 * Resolves a competitor's cgroup id as it was when the capture started, then as it is now.
 * The capture lasts 15 s; a competitor destroyed meanwhile is gone from the resolver by the
 * time the event is built, and would otherwise be reported as a bare cgroup id.
 */
export function captureTimeLookup(atStart: ReadonlyMap<bigint, Container> | undefined, now: (id: bigint) => Container | undefined): (id: bigint) => Container | undefined {
  return (id) => atStart?.get(id) ?? now(id);
}

export function buildEventData(input: {
  container: Container;
  rates: WaitRates;
  verdict: Pick<Verdict, 'threshold' | 'mean' | 'std'>;
  threshold: DetectorThreshold;
  reason: string;
  capture: RawCapture;
  byCgroupId: (id: bigint) => Container | undefined;
  top: number;
}): WaitrateEventData {
  const { container, capture } = input;
  const victim = container.v2Id ?? 0n;
  const ranking = rankCompetitors(capture.cells, victim, competitorNamer(input.byCgroupId, capture.comms), input.top);
  const finite = (n: number): number => (Number.isFinite(n) ? n : 0);
  return {
    container_id: container.id,
    container_name: container.containerName ?? container.name,
    container_qos: container.qos ?? '',
    ...input.rates,
    threshold: finite(input.verdict.threshold),
    window_mean: finite(input.verdict.mean),
    window_std: finite(input.verdict.std),
    k: input.threshold.k,
    min_threshold: input.threshold.minThreshold,
    min_rise: input.threshold.minRise ?? 0,
    floor_percent: input.threshold.floorPercent ?? 100,
    floor_intervals: input.threshold.floorIntervals ?? 1,
    reason: input.reason,
    capture_seconds: capture.seconds,
    attributed_wait_ns: ranking.attributed_wait_ns,
    inner_share: ranking.inner_share,
    idle_share: ranking.idle_share,
    competitors: ranking.competitors,
    wait_histogram_us: histogramBuckets(capture.histogram),
    capture_waits: Number(capture.stats.waits),
    capture_wait_ns: Number(capture.stats.waitNs),
    capture_truncated_waits: Number(capture.stats.truncated),
    capture_migrated_ns: Number(capture.stats.migratedNs),
    capture_overflows: Number(capture.stats.matrixFull + capture.stats.histFull + capture.stats.commsFull),
  };
}
