// The supervisor: one_for_one over the storage actor and the tracer actors. Starts
// storage first (and loads the cooldown ledger from it), then the tracers; stops them in
// reverse. Owns the cooldown ledger and relays tracer events to storage and acks back.
import { EventEmitter } from 'node:events';
import type { TriggerRequest } from '../actors/tracer-api.js';
import type { EventInput, EventQuery } from '../storage/protocol.js';
import { CooldownLedger, type CooldownDecision } from './cooldown-ledger.js';
import { SupervisorError } from './errors.js';
import type { StorageSpec, TracerSpec } from './spec.js';
import type { AgentStatus } from './status.js';
import { StorageChild } from './storage-child.js';
import { TracerChild, type ShutdownOutcome, type TracerEvent } from './tracer-child.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface SupervisorOptions {
  storage: StorageSpec;
  tracers: TracerSpec[];
  log?: LogFn;
}

export interface SupervisorEvents {
  tracer: [TracerEvent];
  /** Storage exceeded its budget: the agent must exit non-zero. */
  fatal: [Error];
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly storage: StorageChild;
  private readonly tracers = new Map<string, TracerChild>();
  private readonly ledger = new CooldownLedger();
  private readonly log: LogFn;
  private readonly startedAt = Date.now();
  private stopped = false;

  constructor(options: SupervisorOptions) {
    super();
    this.log = options.log ?? (() => undefined);
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
        log: (level, msg, fields) => this.log(level, msg, fields),
        emit: (event) => this.emit('tracer', event),
      }));
    }
  }

  async start(): Promise<void> {
    await this.storage.start();
    this.ledger.load(await this.storage.ledgerLoad());
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
    await this.storage.stop();
    return outcomes;
  }

  status(): AgentStatus {
    return {
      startedAt: this.startedAt,
      actors: [this.storage.status(), ...[...this.tracers.values()].map((t) => t.status())],
      mailbox: { queuedEvents: this.storage.queuedEvents, droppedEvents: this.storage.droppedEvents },
    };
  }

  tracerStatus(name: string) {
    return this.tracer(name).status();
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

  /** Replaces a running tracer's settings (validated in the actor by its schema). */
  async configure(name: string, settings: unknown): Promise<void> {
    await this.tracer(name).configure(settings);
  }

  /** Stored events, through the storage actor (the HTTP API and CLI build on this). */
  query(query: EventQuery) {
    return this.storage.query(query);
  }

  getEvent(tracerId: string) {
    return this.storage.get(tracerId);
  }

  cooldownEntries() {
    return this.ledger.snapshot();
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

export type { EventInput };
