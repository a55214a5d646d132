// The end-of-run checks: what the agent acknowledged (every event in its LMDB files, read
// after it stopped) against what reached the fake Elasticsearch, the canary's stream, and
// the resource samples of the longest agent lifetime.
import { storageConfigSchema } from '../../src/storage/config.js';
import type { EventDocument } from '../../src/event/index.js';
import { EventStore, storeOptionsFrom } from '../../src/storage/store.js';
import type { FakeElasticsearch } from '../../test/support/fake-es.js';
import type { FdCounts } from './measure.js';

export interface StoredEvents {
  docs: EventDocument[];
  backlog: number;
  deadLetters: number;
}

/** Every event in the agent's LMDB (the agent must be stopped: we open it as a writer would). */
export async function readStoredEvents(path: string, esUrl: string): Promise<StoredEvents> {
  const store = EventStore.open(storeOptionsFrom(storageConfigSchema.parse({ path, elasticsearch: { urls: [esUrl] } })));
  try {
    const docs: EventDocument[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = store.query({ reverse: false, limit: 10_000, ...(cursor !== undefined ? { cursor } : {}) });
      for (const doc of page.events) docs.push(doc);
      if (page.events.length === 0 || page.cursor === undefined) break;
      cursor = page.cursor;
    }
    return { docs, backlog: store.backlog, deadLetters: store.deadLetterCount() };
  } finally {
    await store.close();
  }
}

export interface DeliveryCheck {
  acknowledged: number;
  inEs: number;
  missingInEs: string[];
  extraInEs: string[];
  /** Ids created more than once in the fake (a duplicate document). */
  duplicates: string[];
  createAttempts: number;
  /** Attempts beyond the first per id: retries after timeouts, 503s, refused connections, replays. */
  retriedAttempts: number;
  backlog: number;
  deadLetters: number;
}

export function checkDelivery(stored: StoredEvents, es: FakeElasticsearch): DeliveryCheck {
  const acked = new Set(stored.docs.map((d) => d.tracer_id));
  const inEs = new Set(es.allIds());
  let attempts = 0;
  for (const n of es.stats.attemptsById.values()) attempts += n;
  return {
    acknowledged: acked.size,
    inEs: inEs.size,
    missingInEs: [...acked].filter((id) => !inEs.has(id)),
    extraInEs: [...inEs].filter((id) => !acked.has(id)),
    duplicates: [...es.stats.createdById].filter(([, n]) => n > 1).map(([id]) => id),
    createAttempts: attempts,
    retriedAttempts: attempts - es.stats.attemptsById.size,
    backlog: stored.backlog,
    deadLetters: stored.deadLetters,
  };
}

export interface CanaryCheck {
  events: number;
  /** Largest gap between consecutive canary events outside the kill -9 window, ms. */
  maxGapMs: number;
  maxGapAt: string | undefined;
  /** The gap across the kill -9 (from the last event before it to the first after the restart), ms. */
  killGapMs: number | undefined;
  /** The largest gap overlapping the disk-full phase, ms. */
  diskFullGapMs: number | undefined;
}

/**
 * The canary's gaps. Two windows are reported apart, not counted in the max: the kill -9 (the
 * agent was not running) and the disk-full phase (storage could not write; a tracer that
 * awaits its save() waits for durability, by contract, until the space returns).
 */
export function checkCanary(
  stored: StoredEvents,
  canary: string,
  kill: { at: number; restartedAt: number } | undefined,
  diskFull?: { filledAt: number; freedAt: number },
): CanaryCheck {
  const times = stored.docs.filter((d) => d.tracer_name === canary).map((d) => Date.parse(d.tracer_time)).sort((a, b) => a - b);
  let maxGapMs = 0;
  let maxGapAt: string | undefined;
  let killGapMs: number | undefined;
  let diskFullGapMs: number | undefined;
  for (let i = 1; i < times.length; i++) {
    const a = times[i - 1]!;
    const b = times[i]!;
    // The gap that spans the kill -9: the agent was not running, reported on its own.
    if (kill !== undefined && a <= kill.at && b >= kill.at) {
      killGapMs = Math.max(killGapMs ?? 0, b - a);
      continue;
    }
    if (diskFull !== undefined && a <= diskFull.freedAt && b >= diskFull.filledAt) {
      diskFullGapMs = Math.max(diskFullGapMs ?? 0, b - a);
      continue;
    }
    if (b - a > maxGapMs) {
      maxGapMs = b - a;
      maxGapAt = new Date(a).toISOString();
    }
  }
  return { events: times.length, maxGapMs, maxGapAt, killGapMs, diskFullGapMs };
}

export interface Sample {
  at: number;
  rssMb: number;
  mainRssMb: number;
  mainAnonMb: number;
  fds: FdCounts | undefined;
}

export interface ResourceCheck {
  lifetimeSeconds: number;
  warmupRssMb: number;
  endRssMb: number;
  rssGrowthPercent: number;
  warmupFds: FdCounts | undefined;
  endFds: FdCounts | undefined;
  /** Growth of non-socket descriptors (BPF, perf, files, pipes) between the two quiet minima. */
  leakedFds: number;
  leakedBpfFds: number;
  /** Descriptor kinds whose count differs between the two minima: kind → [warm-up, end]. */
  fdKindDiff: Record<string, [number, number]>;
  /** The agent's main process alone (every thread-isolated tracer) vs its forked tracers. */
  mainRssMb: [number, number];
  childrenRssMb: [number, number];
}

/** Median tree RSS (and the agent process's RssAnon) per tenth of the samples: growth or plateau. */
export function rssTrend(samples: Sample[]): string {
  const parts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const slice = samples.slice(Math.floor((samples.length * i) / 10), Math.floor((samples.length * (i + 1)) / 10));
    if (slice.length === 0) continue;
    parts.push(`${median(slice.map((s) => s.rssMb)).toFixed(0)}/${median(slice.map((s) => s.mainAnonMb)).toFixed(0)}`);
  }
  return parts.join(' ');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
}

function minFds(samples: Sample[]): FdCounts | undefined {
  const with_ = samples.filter((s) => s.fds !== undefined).map((s) => s.fds!);
  if (with_.length === 0) return undefined;
  const key = (f: FdCounts): number => f.total - f.sockets;
  return with_.reduce((a, b) => (key(b) < key(a) ? b : a));
}

/**
 * RSS: median over the window right after warm-up against the median over the last window
 * of the active phase (both under the same workloads and faults). Descriptors: the minimum
 * over samples taken with every tracer settled after warm-up (faults paused) against the
 * minimum over the same at the quiet end, so a capture that happens to be open at one
 * sample, or a tracer half-way through a restart, does not count.
 */
export function checkResources(lifetime: { start: number; end: number }, warmup: Sample[], activeEnd: Sample[], fdBaseline: Sample[], quietEnd: Sample[]): ResourceCheck {
  const warmupRssMb = median(warmup.map((s) => s.rssMb));
  const endRssMb = median(activeEnd.map((s) => s.rssMb));
  const warmupFds = minFds(fdBaseline);
  const endFds = minFds(quietEnd);
  const nonSocket = (f: FdCounts | undefined): number => (f === undefined ? 0 : f.total - f.sockets);
  return {
    lifetimeSeconds: (lifetime.end - lifetime.start) / 1000,
    warmupRssMb,
    endRssMb,
    rssGrowthPercent: warmupRssMb === 0 ? 0 : ((endRssMb - warmupRssMb) / warmupRssMb) * 100,
    warmupFds,
    endFds,
    leakedFds: Math.max(0, nonSocket(endFds) - nonSocket(warmupFds)),
    leakedBpfFds: Math.max(0, (endFds?.bpf ?? 0) + (endFds?.perf ?? 0) - (warmupFds?.bpf ?? 0) - (warmupFds?.perf ?? 0)),
    fdKindDiff: kindDiff(warmupFds, endFds),
    mainRssMb: [median(warmup.map((s) => s.mainRssMb)), median(activeEnd.map((s) => s.mainRssMb))],
    childrenRssMb: [median(warmup.map((s) => s.rssMb - s.mainRssMb)), median(activeEnd.map((s) => s.rssMb - s.mainRssMb))],
  };
}

function kindDiff(a: FdCounts | undefined, b: FdCounts | undefined): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const k of new Set([...Object.keys(a?.kinds ?? {}), ...Object.keys(b?.kinds ?? {})])) {
    const x = a?.kinds[k] ?? 0;
    const y = b?.kinds[k] ?? 0;
    if (x !== y) out[k] = [x, y];
  }
  return out;
}

export interface DrivenCheck {
  /** Tracers a workload drove here (not skipped, not unavailable), with their stored events. */
  driven: { tracer: string; events: number }[];
  silent: string[];
}

/** A driven tracer; `ours`, when given, counts only the events about our own workload's processes. */
export interface Driven {
  tracer: string;
  ours?: (doc: EventDocument) => boolean;
}

/** Every tracer with a workload (and available on this kernel) stored at least one event (about us). */
export function checkDrivenTracers(stored: StoredEvents, drives: readonly Driven[], excluded: ReadonlySet<string>): DrivenCheck {
  const driven = drives
    .filter((d) => !excluded.has(d.tracer))
    .map((d) => ({ tracer: d.tracer, events: stored.docs.filter((doc) => doc.tracer_name === d.tracer && (d.ours === undefined || d.ours(doc))).length }));
  return { driven, silent: driven.filter((d) => d.events === 0).map((d) => d.tracer) };
}
