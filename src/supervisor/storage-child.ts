// The supervised storage actor (a worker thread speaking src/storage/protocol.ts).
// Requests made while it is down or restarting wait in a bounded mailbox: event batches
// beyond `mailboxMaxEvents` are dropped oldest-first and counted; requests in flight when
// it crashes are sent again after the restart (at-least-once toward LMDB: a batch whose
// commit raced the crash may be stored twice). Exceeding its restart budget is fatal.
//
// A storage that is up but cannot write (disk full, I/O error) is *degraded*, not crashed:
// the failed batches go back into the same mailbox instead of failing the tracers' saves,
// new batches wait there too (reads keep working), and one batch is retried every
// `writeRetryMs`; the first one that commits ends the degraded state and the rest follow.
// A storage failure therefore never reaches a tracer as an error, and never counts against
// its crash budget; only the mailbox bound can drop events (counted).
//
// Its spawn, boot race, watchdog, restart timer and stop are the shared child lifecycle
// (child-lifecycle.ts); this class adds the mailbox, the degraded state, and its policy:
// a storage that never became ready fails start(), one over its budget is fatal.
import type { SerializedError } from '../common/coded-error.js';
import type { EventDocument, EventInput } from '../event/index.js';
import type { CooldownEntry, EventQuery, SkippedRecord, StorageMetrics, StorageReply, StorageRequest } from '../storage/protocol.js';
import { createHost, type ExitInfo } from './actor-host.js';
import { ChildLifecycle, childInstance, type BootOutcome, type ChildInstance, type StopPlan } from './child-lifecycle.js';
import { remoteError } from './control-client.js';
import { SupervisorError } from './errors.js';
import type { RestartDecision } from './restart-policy.js';
import type { StorageSpec } from './spec.js';
import { initialActorStatus, type ActorState, type ActorStatus, type CrashReason, type StorageHealth, type StorageWriteFailureReason } from './status.js';

type RequestBody =
  | { type: 'store'; events: EventInput[] }
  | { type: 'query'; query: EventQuery }
  | { type: 'get'; tracerId: string }
  | { type: 'ledger-load' }
  | { type: 'ledger-put'; entries: CooldownEntry[] };

/** How often a degraded storage is offered the oldest held batch again. */
const writeRetryMs = 1000;

/** Storage codes that mean "cannot write now", not "this batch is wrong": the batch is held. */
const holdableCodes: Record<string, StorageWriteFailureReason> = {
  STORAGE_DISK_FULL: 'disk_full',
  STORAGE_WRITE_FAILED: 'write_failed',
};

/** Latency observations kept between two scrapes (about 3 h at one batch a second). */
const maxPendingLatencies = 10_000;

export interface StorageMetricsSnapshot {
  /** The storage actor's latest report (undefined before its first one). */
  latest: StorageMetrics | undefined;
  /** LMDB batch write latencies since the previous call, seconds. */
  writeLatencySeconds: number[];
}

interface Pending {
  reqId: number;
  body: RequestBody;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

type Instance = ChildInstance<StorageRequest, StorageReply>;

export class StorageChild {
  private readonly life: ChildLifecycle<StorageRequest, StorageReply, Instance>;
  /** stop message → (shutdownMs) → kill → (2 s) → stuck. */
  private readonly stopPlan: StopPlan<Instance>;
  private up = false;
  /** A storage that never became ready fails start() instead of being restarted. */
  private everReady = false;
  private nextReqId = 1;
  /** Waiting to be sent (storage down) — the mailbox. */
  private queue: Pending[] = [];
  /** Sent, not yet answered. */
  private readonly inFlight = new Map<number, Pending>();
  private readonly st: ActorStatus;
  droppedEvents = 0;
  /** Set while storage cannot write (StorageHealth.degraded); batches are held meanwhile. */
  private degraded: NonNullable<StorageHealth['degraded']> | undefined;
  private readonly writeFailures: Record<StorageWriteFailureReason, number> = { disk_full: 0, write_failed: 0 };
  private retryTimer: NodeJS.Timeout | undefined;
  /** The held batch offered to storage on the last retry (one at a time while degraded). */
  private probe: number | undefined;
  private latest: StorageMetrics | undefined;
  private latencies: number[] = [];

  constructor(
    private readonly spec: StorageSpec,
    private readonly hooks: { onFatal(err: Error): void; onState(state: ActorState): void; log(level: 'info' | 'warn' | 'error', msg: string): void },
  ) {
    this.st = initialActorStatus('storage', 'storage', 'thread');
    this.life = new ChildLifecycle(spec, this.st, {
      createInstance: () => childInstance(createHost<StorageRequest, StorageReply>('thread', spec.modulePath, { workerData: { config: spec.config, validated: spec.configValidated === true } })),
      onMessage: (inst, msg) => this.onReply(inst, msg),
      ping: { type: 'ping' },
      onSample: (inst, sample) => {
        this.st.eventLoopUtilization = sample.utilization;
        this.st.cpuSeconds = inst.liveness?.cpuSeconds() ?? this.st.cpuSeconds;
      },
      onExit: (inst, exit) => this.onExit(inst, exit),
      onCrash: (_inst, reason, decision) => this.onCrash(reason, decision),
      restart: () => this.spawn(),
    });
    this.stopPlan = {
      request: (inst) => inst.host.send({ type: 'stop' }),
      graceMs: spec.shutdownMs,
      // terminate() cannot preempt a thread stuck in native code: do not wait forever.
      escalation: [{ step: 'kill', waitMs: 2000 }],
      onStuck: () => this.hooks.log('error', 'storage actor is stuck in native code and cannot be terminated'),
    };
  }

  private get stopping(): boolean {
    return this.life.stopping;
  }

  /**
   * The storage actor's latest report and the write latencies observed since the last
   * call (drained: call it from exactly one place, the /metrics scrape). Observations
   * beyond `maxPendingLatencies` are dropped oldest-first so an agent nobody scrapes
   * does not grow.
   */
  takeMetrics(): StorageMetricsSnapshot {
    const writeLatencySeconds = this.latencies;
    this.latencies = [];
    return { latest: this.latest, writeLatencySeconds };
  }

  status(): ActorStatus {
    const inst = this.life.current;
    const hb = inst?.lastHeartbeat;
    if (inst?.liveness !== undefined && inst.host.alive) this.st.cpuSeconds = inst.liveness.cpuSeconds() ?? this.st.cpuSeconds;
    return { ...this.st, restartsByReason: { ...this.st.restartsByReason }, heartbeatAgeMs: hb === undefined ? undefined : Date.now() - hb };
  }

  /** Whether storage can write now, and how often it could not (readiness, status, metrics). */
  health(): StorageHealth {
    return { degraded: this.degraded === undefined ? null : { ...this.degraded }, writeFailures: { ...this.writeFailures } };
  }

  get queuedEvents(): number {
    return this.queue.reduce((n, p) => n + (p.body.type === 'store' ? p.body.events.length : 0), 0);
  }

  /** Starts the actor and waits until it is ready; throws when it is unavailable. */
  async start(): Promise<void> {
    this.life.resume();
    const outcome = await this.spawn();
    if (outcome !== 'ready') {
      const last = this.st.lastError;
      // The storage code (STORAGE_CORRUPT, STORAGE_NO_SPACE, ...) leads the one line an operator reads.
      const why = last === undefined ? outcome : `${last.code !== undefined ? `${last.code}: ` : ''}${last.message}`;
      throw new SupervisorError('STORAGE_UNAVAILABLE', `storage actor did not start: ${why}`);
    }
  }

  store(events: EventInput[]): Promise<string[]> {
    return this.request({ type: 'store', events }) as Promise<string[]>;
  }

  query(query: EventQuery): Promise<{ events: EventDocument[]; cursor?: string; skipped?: SkippedRecord[] }> {
    return this.request({ type: 'query', query }) as Promise<{ events: EventDocument[]; cursor?: string; skipped?: SkippedRecord[] }>;
  }

  async get(tracerId: string): Promise<EventDocument | undefined> {
    return ((await this.request({ type: 'get', tracerId })) as { event?: EventDocument }).event;
  }

  ledgerLoad(): Promise<CooldownEntry[]> {
    return this.request({ type: 'ledger-load' }) as Promise<CooldownEntry[]>;
  }

  ledgerPut(entries: CooldownEntry[]): Promise<void> {
    return this.request({ type: 'ledger-put', entries }) as Promise<void>;
  }

  async stop(): Promise<void> {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await this.life.stop(this.stopPlan);
    const err = new SupervisorError('SUPERVISOR_STOPPED', 'storage stopped');
    for (const p of [...this.queue, ...this.inFlight.values()]) p.reject(err);
    this.queue = [];
    this.inFlight.clear();
    this.setState('stopped');
  }

  private setState(state: ActorState, reason?: string): void {
    this.st.state = state;
    this.st.stateReason = reason;
    this.hooks.onState(state);
  }

  private request(body: RequestBody): Promise<unknown> {
    if (this.stopping) return Promise.reject(new SupervisorError('SUPERVISOR_STOPPED', 'storage is stopping'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { reqId: this.nextReqId++, body, resolve, reject };
      // While degraded, new batches queue behind the held ones (order is kept); reads go on.
      if (this.up && !(this.degraded !== undefined && body.type === 'store')) this.send(pending);
      else this.enqueue(pending);
    });
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    this.trimMailbox();
  }

  private trimMailbox(): void {
    // Drop-oldest, counted: only event batches are dropped; ledger requests are tiny and vital.
    while (this.queuedEvents > this.spec.mailboxMaxEvents) {
      const index = this.queue.findIndex((q) => q.body.type === 'store');
      if (index < 0) break;
      const [dropped] = this.queue.splice(index, 1);
      if (dropped?.body.type === 'store') {
        this.droppedEvents += dropped.body.events.length;
        const why = this.degraded !== undefined ? `storage cannot write (${this.degraded.reason})` : 'storage was restarting';
        dropped.reject(new SupervisorError('MAILBOX_DROPPED', `${why} and the mailbox was full: batch dropped`));
      }
    }
  }

  private send(p: Pending): void {
    const inst = this.life.current;
    if (inst === undefined) return this.enqueue(p);
    this.inFlight.set(p.reqId, p);
    inst.host.send({ ...p.body, reqId: p.reqId } as StorageRequest);
  }

  private async spawn(): Promise<BootOutcome> {
    this.setState('starting');
    const outcome = await this.life.boot(this.life.spawn());
    if (outcome !== 'ready') return outcome;
    this.up = true;
    this.everReady = true;
    this.life.started();
    this.setState('running');
    this.sendQueued();
    return 'ready';
  }

  private onReply(inst: Instance, msg: StorageReply): void {
    switch (msg.type) {
      case 'ready':
        inst.settleBoot('ready');
        return;
      case 'unavailable':
        this.st.lastError = msg.error;
        this.setState('unavailable', msg.error.message);
        inst.settleBoot('unavailable');
        return;
      case 'stored':
        this.st.eventsStored += msg.tracerIds.length;
        return this.settle(msg.reqId, msg.tracerIds);
      case 'query-result':
      case 'get-result':
        return this.settle(msg.reqId, msg);
      case 'ledger':
        return this.settle(msg.reqId, msg.entries);
      case 'ledger-stored':
        return this.settle(msg.reqId, undefined);
      case 'failed':
        return this.fail(msg.reqId, msg.error);
      case 'heartbeat':
        this.life.heartbeat(inst, msg.tid);
        return;
      case 'metrics':
        this.latest = msg.metrics;
        for (const s of msg.metrics.writeLatencySeconds) this.latencies.push(s);
        if (this.latencies.length > maxPendingLatencies) this.latencies.splice(0, this.latencies.length - maxPendingLatencies);
        this.st.metrics = Object.entries(msg.metrics)
          .filter((e): e is [string, number] => typeof e[1] === 'number')
          .map(([name, value]) => ({ name: `storage_${name}`, value }));
        this.st.metricsTime = Date.now();
        return;
      case 'stopped':
        return;
      default: {
        const _never: never = msg;
        return _never;
      }
    }
  }

  /** Sends what waits in the mailbox; while degraded, everything but the held batches. */
  private sendQueued(): void {
    const waiting = this.queue;
    this.queue = [];
    for (const p of waiting) {
      if (this.degraded !== undefined && p.body.type === 'store') this.queue.push(p);
      else this.send(p);
    }
    if (this.degraded !== undefined) this.scheduleRetry();
  }

  private settle(reqId: number, value: unknown): void {
    const p = this.inFlight.get(reqId);
    this.inFlight.delete(reqId);
    if (reqId === this.probe) this.probe = undefined;
    if (p?.body.type === 'store' && this.degraded !== undefined) this.recovered();
    p?.resolve(value);
  }

  private fail(reqId: number, error: SerializedError): void {
    const p = this.inFlight.get(reqId);
    this.inFlight.delete(reqId);
    if (reqId === this.probe) this.probe = undefined;
    const reason = error.code !== undefined ? holdableCodes[error.code] : undefined;
    if (p?.body.type === 'store' && reason !== undefined && !this.stopping) {
      this.hold(p, reason, error);
      return;
    }
    p?.reject(remoteError(error));
  }

  /** A batch storage could not write: back into the mailbox, in order, to be retried. */
  private hold(p: Pending, reason: StorageWriteFailureReason, error: SerializedError): void {
    this.writeFailures[reason]++;
    if (this.degraded === undefined) {
      this.degraded = { reason: reason === 'disk_full' ? 'disk full' : 'write failed', code: error.code ?? 'STORAGE_WRITE_FAILED', message: error.message, since: Date.now() };
      // One line when it starts and one when it ends, not one per batch.
      this.hooks.log('error', `storage degraded: ${error.message}; tracer events wait in the mailbox (max ${this.spec.mailboxMaxEvents}) and are written when storage can write again`);
    }
    this.queue.push(p);
    this.queue.sort((a, b) => a.reqId - b.reqId);
    this.trimMailbox();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryHeld();
    }, writeRetryMs);
    this.retryTimer.unref();
  }

  /** Offers storage the oldest held batch; its answer decides (settle → recovered, fail → hold). */
  private retryHeld(): void {
    if (this.degraded === undefined || this.stopping) return;
    if (!this.up || this.probe !== undefined) return this.scheduleRetry();
    const index = this.queue.findIndex((q) => q.body.type === 'store');
    if (index < 0) {
      // Nothing held (all dropped or none came): the next batch finds out.
      this.recovered();
      return;
    }
    const [next] = this.queue.splice(index, 1);
    this.probe = next!.reqId;
    this.send(next!);
  }

  private recovered(): void {
    const was = this.degraded;
    this.degraded = undefined;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (was !== undefined) this.hooks.log('info', `storage can write again after ${Math.round((Date.now() - was.since) / 1000)} s (${was.reason}); sending ${this.queuedEvents} held events`);
    if (this.up) this.sendQueued();
  }

  /** Requests the dead actor never answered go back to the front of the mailbox; its crash reason. */
  private onExit(inst: Instance, exit: ExitInfo): CrashReason | undefined {
    this.up = false;
    if (this.stopping || inst.stopping || !this.everReady) {
      if (exit.error !== undefined) this.st.lastError = exit.error;
      return undefined;
    }
    const unanswered = [...this.inFlight.values()].sort((a, b) => a.reqId - b.reqId);
    this.inFlight.clear();
    this.probe = undefined;
    this.queue = [...unanswered, ...this.queue];
    if (exit.error !== undefined) this.st.lastError = exit.error;
    return inst.killedFor === 'hang' ? 'hang' : exit.error?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : exit.error !== undefined ? 'uncaught-exception' : 'exit';
  }

  /** Restarted after the policy's delay; over budget (or unavailable after a restart) it stops the agent. */
  private onCrash(reason: CrashReason, decision: RestartDecision): boolean {
    if (decision.action === 'disable' || this.st.state === 'unavailable') {
      // Only storage exceeding its budget stops the agent: there is nowhere to put events.
      this.setState('disabled', 'storage over its restart budget');
      this.hooks.onFatal(new SupervisorError('STORAGE_OVER_BUDGET', `storage actor crashed more than ${this.spec.restart.budgetCount} times in ${this.spec.restart.budgetWindowMs} ms (last: ${reason})`));
      return false;
    }
    this.hooks.log('warn', `storage actor crashed (${reason}); restarting in ${decision.delayMs} ms`);
    this.setState('restarting', reason);
    this.st.nextStartAt = Date.now() + decision.delayMs;
    return true;
  }
}
