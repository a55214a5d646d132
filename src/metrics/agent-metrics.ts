// The agent's one Prometheus registry, in the main thread. Actors never own metrics: the
// supervisor's status model (heartbeats, update() samples, storage reports) is read
// synchronously at scrape time, so a scrape never waits on an actor, dead or alive.
// Running totals reported by actors go through MonotonicTotals so counters stay monotonic
// across actor restarts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { MetricSample } from '../actors/tracer-api.js';
import type { ActorState, AgentStatus, ActorStatus } from '../supervisor/status.js';
import { crashReasons } from '../supervisor/status.js';
import { MonotonicTotals, seriesKey } from './monotonic.js';
import { metricPrefix as p, toLabelName, tracerSampleName } from './names.js';

export interface AgentMetricsOptions {
  /** Read at every scrape; must not block (Supervisor.status() is synchronous). */
  status: () => AgentStatus;
  host: string;
  region: string;
  defaultMetrics: boolean;
  /** Sampling period of the event-loop lag histogram (prom-client's eventLoopMonitoringPrecision). */
  eventLoopResolutionMs?: number;
}

/** prom-client default metrics that break the naming rules (gauges named `_total`). */
export const droppedDefaultMetrics = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

const actorStates: readonly ActorState[] = ['starting', 'running', 'restarting', 'disabled', 'unavailable', 'stopped'];

/** StorageMetrics field (as the supervisor names it in the storage actor's status) → series. */
const storageTotals = {
  storage_eventsStored: 'storageStored',
  storage_batchesWritten: 'storageBatches',
  storage_shipped: 'esShipped',
  storage_retried: 'esRetried',
  storage_deadLettered: 'esDeadLettered',
  storage_evicted: 'storageEvicted',
  storage_evictedBeforeShipped: 'storageEvictedUnshipped',
  storage_corruptRecordsSkipped: 'storageCorruptSkipped',
} as const;
const storageGauges = {
  storage_lmdbSizeBytes: 'lmdbSize',
  storage_backlogEvents: 'esBacklog',
  storage_backlogAgeSeconds: 'esLag',
} as const;

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly totals = new MonotonicTotals();
  private readonly dynamic = new Map<string, { metric: Gauge | Counter; kind: 'gauge' | 'counter'; labelNames: string[] }>();
  private readonly fixedNames: Set<string>;

  // ---- actors ----
  private readonly actorState: Gauge;
  private readonly actorRestarts: Counter;
  private readonly actorHeartbeatAge: Gauge;
  private readonly actorCpu: Counter;
  private readonly actorElu: Gauge;
  private readonly actorMetricsAge: Gauge;
  // ---- events ----
  private readonly eventsCaptured: Counter;
  private readonly eventsStored: Counter;
  private readonly eventsDropped: Counter;
  private readonly mailboxDepth: Gauge;
  // ---- tracers ----
  private readonly tracerTriggers: Counter;
  private readonly tracerCooldownSkips: Counter;
  private readonly bpfRuns: Counter;
  private readonly bpfRunSeconds: Counter;
  readonly manualTriggers: Counter;
  private readonly tracerUp: Gauge;
  private readonly samplesRejected: Gauge;
  // ---- storage and ES ----
  private readonly storage: Record<(typeof storageTotals)[keyof typeof storageTotals], Counter> & Record<(typeof storageGauges)[keyof typeof storageGauges], Gauge>;
  readonly storageWriteLatency: Histogram;
  private readonly storageWriteFailures: Counter;
  private readonly storageDegraded: Gauge;
  // ---- HTTP ----
  readonly httpRequests: Counter;
  readonly httpDuration: Histogram;
  readonly watchSubscribers: Gauge;
  readonly watchDropped: Counter;
  readonly watchRefused: Counter;
  readonly httpOpenConnections: Gauge;
  readonly httpConnectionsEvicted: Counter;

  constructor(private readonly options: AgentMetricsOptions) {
    const r = this.registry;
    r.setDefaultLabels({ host: options.host, region: options.region });
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: r, prefix: p, eventLoopMonitoringPrecision: options.eventLoopResolutionMs ?? 200 });
      // prom-client exports these three gauges with a `_total` suffix, which is for counters
      // (promtool check metrics flags them). Their per-type twins without the suffix stay;
      // summing those over `type` gives the same totals.
      for (const name of droppedDefaultMetrics) r.removeSingleMetric(p + name);
    }
    const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name: p + name, help, labelNames, registers: [r] });
    const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name: p + name, help, labelNames, registers: [r] });
    const actor = ['actor', 'kind'];

    this.actorState = gauge('actor_state', 'Actor state, one-hot: 1 for the current state, 0 for the others', [...actor, 'state']);
    this.actorRestarts = counter('actor_restarts_total', 'Actor crashes followed by a restart or a disable, by crash reason', [...actor, 'reason']);
    this.actorHeartbeatAge = gauge('actor_heartbeat_age_seconds', 'Time since the actor last sent a heartbeat (absent before its first one)', actor);
    this.actorCpu = counter('actor_cpu_seconds_total', 'CPU time used by the actor thread or process, across its restarts', actor);
    this.actorElu = gauge('actor_event_loop_utilization_ratio', 'Event-loop utilization of the actor over its last heartbeat interval (0..1)', actor);
    this.actorMetricsAge = gauge('actor_metrics_age_seconds', 'Age of the newest update() samples received from the actor', actor);

    this.eventsCaptured = counter('events_captured_total', 'Events a tracer handed to the supervisor for storage', ['tracer']);
    this.eventsStored = counter('events_stored_total', 'Events of a tracer acknowledged durable by storage', ['tracer']);
    this.eventsDropped = counter('events_dropped_total', 'Events dropped before storage, by where they were dropped', ['reason']);
    this.mailboxDepth = gauge('storage_mailbox_events', 'Events waiting in the supervisor mailbox while storage is down');

    this.tracerTriggers = counter('tracer_triggers_total', 'Captures: cooldown arms granted to the tracer (automatic) plus manual triggers that completed', ['tracer']);
    this.tracerCooldownSkips = counter('tracer_cooldown_skips_total', 'Cooldown requests answered not ready (try-arm denied, check not ready): captures skipped', ['tracer']);
    this.bpfRuns = counter('bpf_program_runs_total', 'Invocations of a BPF program opened by the tracer (counted while BPF stats are enabled)', ['tracer', 'program']);
    this.bpfRunSeconds = counter('bpf_program_run_seconds_total', 'Time spent running a BPF program opened by the tracer (counted while BPF stats are enabled)', ['tracer', 'program']);
    this.manualTriggers = counter('tracer_manual_triggers_total', 'Manual captures requested through the API, by result', ['tracer', 'result']);
    this.tracerUp = gauge('tracer_running', 'Number of configured tracers per state (HUATUO tracing_status_running)', ['state']);
    this.samplesRejected = gauge('tracer_samples_rejected', 'update() samples of the latest report not exported (invalid name or label, type or label conflict, clash with a built-in metric)', ['tracer']);

    this.storage = {
      storageStored: counter('storage_events_written_total', 'Events written to LMDB by the storage actor'),
      storageBatches: counter('storage_batches_written_total', 'LMDB write transactions (batches)'),
      storageEvicted: counter('storage_evicted_events_total', 'Events evicted by retention'),
      storageEvictedUnshipped: counter('storage_evicted_unshipped_events_total', 'Events evicted by retention before they were shipped to Elasticsearch'),
      storageCorruptSkipped: counter('storage_corrupt_records_skipped_total', 'Stored records a listing could not read or decode and left out (counted each time one is met)'),
      esShipped: counter('es_shipped_events_total', 'Events acknowledged by Elasticsearch (including 409 replays)'),
      esRetried: counter('es_retried_events_total', 'Event sends to Elasticsearch that were retried'),
      esDeadLettered: counter('es_dead_lettered_events_total', 'Events Elasticsearch rejected permanently (moved to the dead-letter table)'),
      lmdbSize: gauge('storage_lmdb_size_bytes', 'Size of the LMDB environment'),
      esBacklog: gauge('es_backlog_events', 'Stored events not yet shipped to Elasticsearch'),
      esLag: gauge('es_lag_seconds', 'Age of the oldest unshipped event (0 when none)'),
    };
    this.storageWriteFailures = counter('storage_write_failures_total', 'Event batches the storage actor could not write, by reason (held in the mailbox and retried, not lost)', ['reason']);
    this.storageDegraded = gauge('storage_degraded', '1 while storage runs but cannot write (the reason label says why), else 0', ['reason']);
    this.storageWriteLatency = new Histogram({
      name: `${p}storage_write_latency_seconds`,
      help: 'LMDB batch write latency (commit included)',
      buckets: exponentialBuckets(1e-6, 4, 12),
      registers: [r],
    });

    this.httpRequests = counter('http_requests_total', 'HTTP requests served, by route pattern, method and status code', ['route', 'method', 'code']);
    this.httpDuration = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'HTTP request duration until the response headers and body were written (watch streams: until headers)',
      labelNames: ['route', 'method'],
      buckets: exponentialBuckets(1e-4, 4, 10),
      registers: [r],
    });
    this.watchSubscribers = gauge('http_watch_subscribers', 'Open /api/v1/events/watch streams');
    this.watchDropped = counter('http_watch_dropped_events_total', 'Documents dropped from slow watch subscribers (drop-oldest)');
    this.watchRefused = counter('http_watch_refused_total', 'Watch subscriptions refused because the subscriber limit was reached');
    this.httpOpenConnections = gauge('http_open_connections', 'Open connections to the HTTP API (capped by http.maxConnections)');
    this.httpConnectionsEvicted = counter('http_connections_evicted_total', 'Idle HTTP connections closed to make room for a new one at the connection cap');
    this.fixedNames = new Set(r.getMetricsAsArray().map((m) => m.name));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Refreshes every status-derived series, then renders the exposition text. */
  render(): Promise<string> {
    // Serialized: a second scrape's reset must not land between this one's refresh and render.
    const run = this.rendering.then(() => {
      this.refresh(this.options.status());
      return this.registry.metrics();
    });
    this.rendering = run.catch(() => undefined);
    return run;
  }
  private rendering: Promise<unknown> = Promise.resolve();

  /** Runs before every scrape, after the status refresh (e.g. the HTTP server's counters). */
  onRefresh(collect: () => void): void {
    this.collectors.push(collect);
  }
  private readonly collectors: Array<() => void> = [];

  /** Storage write latencies, seconds (Supervisor.storageMetrics(), drained at each scrape by the HTTP server). */
  observeStorageWriteLatency(seconds: readonly number[]): void {
    for (const s of seconds) this.storageWriteLatency.observe(s);
  }

  private total(counter: Counter, labels: Record<string, string>, raw: number): void {
    if (!Number.isFinite(raw) || raw < 0) return;
    counter.inc(labels, this.totals.value(seriesKey((counter as unknown as { name: string }).name, labels), raw));
  }

  private refresh(status: AgentStatus): void {
    const resets: Array<Gauge | Counter> = [
      this.actorState, this.actorRestarts, this.actorHeartbeatAge, this.actorCpu, this.actorElu, this.actorMetricsAge,
      this.eventsCaptured, this.eventsStored, this.eventsDropped, this.tracerTriggers, this.tracerUp, this.samplesRejected,
      this.tracerCooldownSkips, this.bpfRuns, this.bpfRunSeconds,
      ...Object.values(this.storage),
    ];
    // Counters are re-set from absolute (monotonic) totals each scrape: prom-client has no
    // Counter.set, and reset+inc keeps series of actors that no longer exist from lingering.
    for (const m of resets) m.reset();
    for (const [, m] of this.dynamic) m.metric.reset();
    const now = Date.now();
    const tracerStates = new Map<ActorState, number>(actorStates.map((s) => [s, 0]));
    for (const a of status.actors) {
      const labels = { actor: a.name, kind: a.kind };
      for (const s of actorStates) this.actorState.set({ ...labels, state: s }, a.state === s ? 1 : 0);
      for (const reason of crashReasons) this.total(this.actorRestarts, { ...labels, reason }, a.restartsByReason[reason]);
      if (a.heartbeatAgeMs !== undefined) this.actorHeartbeatAge.set(labels, a.heartbeatAgeMs / 1000);
      if (a.metricsTime !== undefined) this.actorMetricsAge.set(labels, Math.max(0, now - a.metricsTime) / 1000);
      this.total(this.actorCpu, labels, a.cpuSeconds);
      this.actorElu.set(labels, a.eventLoopUtilization);
      if (a.kind === 'tracer') {
        tracerStates.set(a.state, (tracerStates.get(a.state) ?? 0) + 1);
        this.total(this.eventsCaptured, { tracer: a.name }, a.eventsSent);
        this.total(this.eventsStored, { tracer: a.name }, a.eventsStored);
        this.total(this.tracerTriggers, { tracer: a.name }, a.hits + a.manualTriggers);
        this.total(this.tracerCooldownSkips, { tracer: a.name }, a.cooldownSkips);
        this.exportBpf(a);
        this.exportSamples(a);
      } else {
        this.exportStorage(a);
      }
    }
    for (const [state, n] of tracerStates) this.tracerUp.set({ state }, n);
    this.total(this.eventsDropped, { reason: 'mailbox' }, status.mailbox.droppedEvents);
    this.mailboxDepth.set(status.mailbox.queuedEvents);
    if (status.storage !== undefined) {
      for (const [reason, n] of Object.entries(status.storage.writeFailures)) this.total(this.storageWriteFailures, { reason }, n);
      for (const reason of ['disk full', 'write failed'] as const) this.storageDegraded.set({ reason }, status.storage.degraded?.reason === reason ? 1 : 0);
    }
    for (const collect of this.collectors) collect();
  }

  /** Per program; two objects of one tracer with a same-named program are summed. */
  private exportBpf(a: ActorStatus): void {
    const byProgram = new Map<string, { runs: number; ns: number }>();
    for (const p of a.bpfPrograms) {
      const sum = byProgram.get(p.program) ?? { runs: 0, ns: 0 };
      sum.runs += p.runCount;
      sum.ns += p.runTimeNs;
      byProgram.set(p.program, sum);
    }
    for (const [program, sum] of byProgram) {
      this.total(this.bpfRuns, { tracer: a.name, program }, sum.runs);
      this.total(this.bpfRunSeconds, { tracer: a.name, program }, sum.ns / 1e9);
    }
  }

  private exportStorage(a: ActorStatus): void {
    for (const sample of a.metrics) {
      if (sample.name in storageTotals) {
        this.total(this.storage[storageTotals[sample.name as keyof typeof storageTotals]], {}, sample.value);
      } else if (sample.name in storageGauges) {
        this.storage[storageGauges[sample.name as keyof typeof storageGauges]].set(sample.value);
      }
    }
  }

  /** A tracer's update() samples as autotracer_tracer_<name>{tracer=...} (docs/metrics.md). */
  private exportSamples(a: ActorStatus): void {
    let rejected = 0;
    for (const sample of a.metrics) if (!this.exportSample(a.name, sample)) rejected++;
    this.samplesRejected.set({ tracer: a.name }, rejected);
  }

  private exportSample(tracer: string, sample: MetricSample): boolean {
    const kind = sample.kind ?? 'gauge';
    const name = tracerSampleName(sample.name, kind);
    if (name === undefined || this.fixedNames.has(name) || !Number.isFinite(sample.value)) return false;
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(sample.labels ?? {})) {
      const label = toLabelName(k);
      if (label === undefined || label === 'host' || label === 'region') return false;
      labels[label] = String(v);
    }
    labels.tracer = tracer;
    let entry = this.dynamic.get(name);
    if (entry === undefined) {
      const labelNames = Object.keys(labels).sort();
      const help = sample.help ?? `${sample.name} reported by the tracer's update()`;
      const metric = kind === 'counter'
        ? new Counter({ name, help, labelNames, registers: [this.registry] })
        : new Gauge({ name, help, labelNames, registers: [this.registry] });
      entry = { metric, kind, labelNames };
      this.dynamic.set(name, entry);
    }
    // The first sample fixes a series' type and label names; a later disagreement is dropped.
    if (entry.kind !== kind || !Object.keys(labels).every((k) => entry.labelNames.includes(k))) return false;
    if (entry.metric instanceof Counter) {
      if (sample.value < 0) return false;
      entry.metric.inc(labels, this.totals.value(seriesKey(name, labels), sample.value));
    } else {
      entry.metric.set(labels, sample.value);
    }
    return true;
  }
}
