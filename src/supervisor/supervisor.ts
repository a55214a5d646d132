// The supervisor: one_for_one over the storage actor and the tracer actors. Starts
// storage first (and loads the cooldown ledger from it), then the tracers; stops them in
// reverse. Owns the cooldown ledger and relays tracer events to storage and acks back.
import { EventEmitter } from 'node:events';
import type { TriggerRequest } from '../actors/tracer-api.js';
import type { EventInput } from '../event/index.js';
import type { EventQuery } from '../storage/protocol.js';
import { CooldownLedger, type CooldownDecision } from './cooldown-ledger.js';
import { isolateMemory } from '../common/memory-usage.js';
import { LookbackHost, type LookbackSettings, type LookbackStatus } from './lookback-host.js';
import { SupervisorError } from './errors.js';
import type { StorageSpec, TracerSpec } from './spec.js';
import type { ActorState, ActorStatus, AgentStatus } from './status.js';
import { StorageChild, type StorageMetricsSnapshot } from './storage-child.js';
import type { FaultKind } from '../actors/protocol.js';
import type { ShutdownOutcome } from './child-lifecycle.js';
import type { TracerEvent } from './events.js';
import { TracerChild } from './tracer-child.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface SupervisorOptions {
  storage: StorageSpec;
  tracers: TracerSpec[];
  log?: LogFn;
  /** The look-back sampler (issue 14 item 6); off when absent. */
  lookback?: LookbackSettings;
}

export interface SupervisorEvents {
  /** Lifecycle, relayed batches, storage acks ('stored', with tracer ids), crashes, logs. */
  tracer: [TracerEvent];
  /** Storage exceeded its budget: the agent must exit non-zero. */
  fatal: [Error];
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly storage: StorageChild;
  private readonly tracers = new Map<string, TracerChild>();
  private readonly ledger = new CooldownLedger();
  private readonly lookbackHost: LookbackHost;
  private readonly log: LogFn;
  private readonly startedAt = Date.now();
  private stopped = false;
  /** Per-tracer start/stop operations, serialized: a stop racing a start sees its result. */
  private readonly tracerOps = new Map<string, Promise<unknown>>();

  constructor(options: SupervisorOptions) {
    super();
    this.log = options.log ?? (() => undefined);
    this.lookbackHost = new LookbackHost(options.lookback);
    this.storage = new StorageChild(options.storage, {
      onFatal: (err) => {
        this.log('error', err.message);
        this.emit('fatal', err);
      },
      onState: (state) => this.log('debug', `storage: ${state}`),
      log: (level, msg) => this.log(level, msg),
    });
    for (const spec of options.tracers) {
      if (this.tracers.has(spec.name)) throw new SupervisorError('UNKNOWN_TRACER', `tracer "${spec.name}" is configured twice`);
      this.tracers.set(spec.name, new TracerChild(spec, {
        store: (_tracer, events) => this.storage.store(events),
        cooldown: (tracer, op, key, seconds) => this.cooldown(tracer, op, key, seconds),
        lookback: async (fromMs, toMs, cgroupId) => this.lookbackHost.answer(fromMs, toMs, cgroupId),
        log: (level, msg, fields) => this.log(level, msg, fields),
        emit: (event) => this.emit('tracer', event),
      }));
    }
  }

  async start(): Promise<void> {
    await this.storage.start();
    this.ledger.load(await this.storage.ledgerLoad());
    const lookbackFailure = await this.lookbackHost.start();
    if (lookbackFailure !== undefined) this.log('warn', `look-back sampler not started (events get no "before" profile): ${lookbackFailure}`);
    // Tracers start concurrently: one slow or failing tracer does not hold up the rest.
    await Promise.all([...this.tracers.values()].map((t) => t.start()));
  }

  /** Stops tracers in reverse order of configuration, then storage. */
  async stop(): Promise<Record<string, ShutdownOutcome>> {
    if (this.stopped) return {};
    this.stopped = true;
    const outcomes: Record<string, ShutdownOutcome> = {};
    for (const tracer of [...this.tracers.values()].reverse()) {
      outcomes[tracer.name] = await tracer.stop();
      this.log('debug', `stopped ${tracer.name}: ${outcomes[tracer.name]}`);
    }
    this.lookbackHost.stop();
    await this.storage.stop();
    return outcomes;
  }

  status(): AgentStatus {
    return {
      startedAt: this.startedAt,
      actors: [this.storage.status(), ...[...this.tracers.values()].map((t) => t.status())],
      mailbox: { queuedEvents: this.storage.queuedEvents, droppedEvents: this.storage.droppedEvents },
      storage: this.storage.health(),
      main: isolateMemory(),
      lookback: this.lookbackHost.status(),
    };
  }

  tracerStatus(name: string) {
    return this.tracer(name).status();
  }

  /**
   * Starts a tracer that was stopped by stopTracer(), is unavailable (kernel support may
   * have appeared since), or is waiting for a restart or disabled over its crash budget
   * (someone fixed it: the pending restart is cancelled and the crash budget is reset).
   * Resolves with its status once it showed a sign of life after its start() began, or
   * once it turned out unavailable or crashed on start (then the restart policy has it, as
   * at agent start, and the status says so: state and lastError, not `running`).
   * TRACER_ALREADY_RUNNING when it is starting or running.
   */
  async startTracer(name: string): Promise<ActorStatus> {
    const t = this.tracer(name);
    return this.serialize(name, async () => {
      this.assertNotStopped();
      if (!manuallyStartableStates.includes(t.state)) {
        throw new SupervisorError('TRACER_ALREADY_RUNNING', `tracer "${name}" is ${t.state}; stop it first`);
      }
      this.log('info', `starting tracer ${name} on request`);
      await t.startManually();
      return t.status();
    });
  }

  /**
   * Stops one tracer gracefully (stop call, then its shutdownMs / killAfterMs escalation,
   * as at agent shutdown). Its state becomes `stopped` and it is not restarted until
   * startTracer(). A tracer waiting to restart or disabled is stopped too (its timer is
   * cancelled). TRACER_NOT_RUNNING when it is already stopped or unavailable.
   */
  async stopTracer(name: string): Promise<ActorStatus & { outcome: ShutdownOutcome }> {
    const t = this.tracer(name);
    return this.serialize(name, async () => {
      this.assertNotStopped();
      if (startableStates.includes(t.state)) throw new SupervisorError('TRACER_NOT_RUNNING', `tracer "${name}" is ${t.state}`);
      this.log('info', `stopping tracer ${name} on request`);
      const outcome = await t.stop();
      return { ...t.status(), outcome };
    });
  }

  /**
   * The storage actor's latest StorageMetrics and the write latencies observed since the
   * previous call. Draining: exactly one reader (the /metrics scrape) should call it.
   */
  storageMetrics(): StorageMetricsSnapshot {
    return this.storage.takeMetrics();
  }

  /**
   * Manual capture: the tracer's trigger() runs now, bypassing its thresholds. It does
   * not consult or arm the trigger cooldown (an operator asked explicitly), but it is
   * refused while the tracer is not running and while another manual capture of the same
   * tracer is in flight (TRIGGER_BUSY), and it stays inside the tracer's own capture limits.
   */
  async trigger(name: string, request: TriggerRequest = {}): Promise<void> {
    await this.tracer(name).trigger(request);
  }

  /** Asks the tracer's actor itself (a control call raced against its exit and a timeout). */
  async actorStatus(name: string) {
    return this.tracer(name).actorStatus();
  }

  /** Replaces a running tracer's settings (validated here, in the main thread, by settingsForActor). */
  async configure(name: string, settings: unknown): Promise<void> {
    await this.tracer(name).configure(settings);
  }

  /**
   * Soak tests only: makes a running tracer crash itself (`kind`). Refused with
   * FAULT_INJECTION_DISABLED unless the agent runs with AUTOTRACER_FAULT_INJECTION=1,
   * FAULT_UNSUPPORTED for a kind the tracer cannot survive or produce, TRACER_NOT_RUNNING
   * when it is not running. docs/soak.md.
   */
  injectFault(name: string, kind: FaultKind): void {
    this.assertNotStopped();
    this.tracer(name).injectFault(kind);
  }

  /** Stored events, through the storage actor (the HTTP API and CLI build on this). */
  query(query: EventQuery) {
    return this.storage.query(query);
  }

  getEvent(tracerId: string) {
    return this.storage.get(tracerId);
  }

  /** The look-back sampler's state and window figures. */
  lookbackStatus(): LookbackStatus {
    return this.lookbackHost.status();
  }

  cooldownEntries() {
    return this.ledger.snapshot();
  }

  private serialize<T>(name: string, op: () => Promise<T>): Promise<T> {
    const previous = this.tracerOps.get(name) ?? Promise.resolve();
    const run = previous.then(op, op);
    this.tracerOps.set(name, run.catch(() => undefined));
    return run;
  }

  private assertNotStopped(): void {
    if (this.stopped) throw new SupervisorError('SUPERVISOR_STOPPED', 'the agent is shutting down');
  }

  private tracer(name: string): TracerChild {
    const t = this.tracers.get(name);
    if (t === undefined) throw new SupervisorError('UNKNOWN_TRACER', `no tracer named "${name}"`);
    return t;
  }

  private async cooldown(tracer: string, op: 'check' | 'arm' | 'try-arm', key: string, seconds: number): Promise<CooldownDecision> {
    const decision = op === 'check' ? this.ledger.check(tracer, key) : op === 'arm' ? this.ledger.arm(tracer, key, seconds) : this.ledger.tryArm(tracer, key, seconds);
    if (decision.entry !== undefined) {
      // Write-through before the tracer hears "armed": it cannot capture on a cooldown
      // that an agent restart would forget.
      try {
        await this.storage.ledgerPut([decision.entry]);
      } catch (err) {
        this.log('error', `cooldown ledger write failed for ${tracer}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return decision;
  }
}

/** States in which stopTracer() refuses (nothing to stop). */
const startableStates: readonly ActorState[] = ['stopped', 'unavailable'];
/** States from which startTracer() may start a tracer: also a restart pending or disabled. */
const manuallyStartableStates: readonly ActorState[] = [...startableStates, 'restarting', 'disabled'];

export type { EventInput, ShutdownOutcome, StorageMetricsSnapshot, TracerEvent };
export { FaultInjectionError } from './errors.js';
