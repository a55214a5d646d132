// The actor runtime: what runs inside a tracer's worker thread or child process. It
// loads the tracer module, runs the seed's lifecycle (start → return → wait interval →
// start again), batches events, collects metrics, sends heartbeats and answers control
// calls. It reports faults to the supervisor as `fatal` and exits 1, so every failure
// mode reaches the supervisor as a classified exit.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { serializeError } from '../common/coded-error.js';
import { ActorError } from './errors.js';
import { EventBatcher } from './event-batcher.js';
import { ContainerViewCache } from './container-view.js';
import { eventDataJson, MAX_EVENT_DATA_BYTES, oversizeJsonBytes, type TracerType } from '../event/index.js';
import { currentThreadId, readProcessCpuSeconds } from '../common/cpu-time.js';
import { isolateMemory } from '../common/memory-usage.js';
import { faultInjectionEnabled, type ActorInit, type ActorSelfStatus, type BpfProgramStat, type ControlCall, type FaultKind, type FromActor, type ToActor } from './protocol.js';
import { testAddonPath } from '../paths.js';
import {
  Flag, getRegistration, validateAttr,
  type CooldownApi, type LookbackAnswer, type CooldownState, type Logger, type TracerAttr, type TracerContext,
} from './tracer-api.js';
import type { ActorTransport } from './transport.js';
import type { BpfObject } from '../native/index.js';
import { isUnavailableError } from './unavailable.js';

/** Saves made inside a manual trigger are tagged tracer_type "manual". */
const saveOrigin = new AsyncLocalStorage<TracerType>();

export function runActor(transport: ActorTransport): void {
  installFaultHandlers(transport);
  let started = false;
  transport.onMessage((msg) => {
    if (msg.type === 'init' && !started) {
      started = true;
      void new TracerActor(transport, msg.init).boot();
    }
  });
}

function installFaultHandlers(transport: ActorTransport): void {
  const rejections = new WeakSet<object>();
  process.on('unhandledRejection', (reason) => {
    // A save storage dropped that the tracer did not await is not the tracer's bug either.
    if (isStorageDrop(reason)) {
      transport.send({ type: 'log', level: 'warn', msg: `an event was dropped by storage: ${describe(reason)}` });
      return;
    }
    // Re-throw so it becomes an uncaught exception, remembering where it came from.
    const err = new ActorError('UNHANDLED_REJECTION', `unhandled rejection: ${describe(reason)}`, { cause: reason });
    rejections.add(err);
    throw err;
  });
  process.on('uncaughtException', (err) => {
    const kind = rejections.has(err) ? 'unhandled-rejection' : 'uncaught-exception';
    transport.sendThenExit({ type: 'fatal', kind, error: serializeError(err) }, 1);
  });
}

function isStorageDrop(value: unknown): boolean {
  return value instanceof ActorError && value.code === 'EVENT_DROPPED';
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
}

class TracerActor {
  private readonly abort = new AbortController();
  private attr: TracerAttr<unknown> | undefined;
  private settings: unknown;
  /** ctx.containers: one resolver per actor, from settings.containers. */
  private readonly containerViews: ContainerViewCache;
  private settingsSchema: { parse(v: unknown): unknown } | undefined;
  private readonly batcher: EventBatcher;
  private readonly bpfHandles: Array<{ object: string; handle: BpfObject }> = [];
  /** Run statistics of BPF objects already closed in this instance (start() returned, trigger done). */
  private readonly bpfCarried = new Map<string, BpfProgramStat>();
  /** One bpf_enable_stats handle, held while any BPF object is open (init.bpfStats). */
  private bpfStatsHandle: { close(): void } | undefined;
  private bpfStatsFailed = false;
  private readonly cooldownWaiters = new Map<number, (s: { ready: boolean; until: number; armed: boolean }) => void>();
  private readonly lookbackWaiters = new Map<number, (answer: LookbackAnswer) => void>();
  private nextLookbackId = 1;
  private nextCooldownId = 1;
  private runLoop: Promise<void> | undefined;
  private triggerInFlight: Promise<void> | undefined;
  private phase: ActorSelfStatus['phase'] = 'idle';
  private starts = 0;
  private timers: NodeJS.Timeout[] = [];
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private bootHeartbeatSent = false;

  constructor(private readonly transport: ActorTransport, private readonly init: ActorInit) {
    this.batcher = new EventBatcher((batchId, events) => transport.send({ type: 'events', batchId, events }), init.batch);
    this.containerViews = new ContainerViewCache(init.name);
    transport.onMessage((msg) => this.onMessage(msg));
  }

  async boot(): Promise<void> {
    // The boot heartbeat goes first, so a module that hangs while loading is seen as a hang.
    // A worker thread sends no periodic heartbeats: the supervisor watches its event loop
    // from the main thread and pings it only when the loop shows no idle time
    // (supervisor/liveness.ts). A child process keeps the 1 s heartbeats.
    if (this.init.isolation === 'process') this.timers.push(setInterval(() => this.heartbeat(), this.init.heartbeatMs));
    this.heartbeat();
    const registration = await this.loadRegistration();
    if (registration === undefined) return;
    this.settingsSchema = registration.settingsSchema;
    try {
      this.settings = this.parseSettings(this.init.settings, this.init.settingsValidated === true);
    } catch (err) {
      return this.unavailable(new ActorError('TRACER_BAD_CONFIG', `tracer "${this.init.name}": invalid settings: ${describe(err)}`));
    }
    let attr: TracerAttr<unknown>;
    try {
      attr = await registration.factory();
    } catch (err) {
      if (isUnavailableError(err)) return this.unavailable(err);
      throw err; // a crash: classified by the fault handlers
    }
    try {
      validateAttr(this.init.name, attr);
    } catch (err) {
      return this.unavailable(err);
    }
    this.attr = attr;
    if ((attr.flags & Flag.Metric) !== 0) {
      this.timers.push(setInterval(() => void this.collectMetrics(), this.init.metricsIntervalMs));
    }
    // BPF run statistics ride the same tick for every tracer (a tracer without Flag.Metric
    // still has programs worth watching); nothing is sent until it opens a BPF object.
    this.timers.push(setInterval(() => this.reportBpfStats(), this.init.metricsIntervalMs));
    // Memory on the same tick, for every actor: what grows shows per isolate in status --verbose.
    this.timers.push(setInterval(() => this.transport.send({ type: 'memory', memory: isolateMemory() }), this.init.metricsIntervalMs));
    this.transport.send({ type: 'ready', flags: attr.flags, interval: attr.interval, hasTrigger: typeof attr.tracer.trigger === 'function' });
  }

  private async loadRegistration(): Promise<ReturnType<typeof getRegistration>> {
    await import(pathToFileURL(this.init.modulePath).href);
    const registration = getRegistration(this.init.name);
    if (registration === undefined) {
      this.unavailable(new ActorError('TRACER_NOT_REGISTERED', `${this.init.modulePath} did not register a tracer named "${this.init.name}"`));
    }
    return registration;
  }

  private unavailable(err: unknown): void {
    this.transport.send({ type: 'unavailable', error: serializeError(err) });
  }

  private onMessage(msg: ToActor): void {
    switch (msg.type) {
      case 'init':
        return;
      case 'call':
        void this.answer(msg.id, msg.call);
        return;
      case 'stored':
        this.batcher.acknowledge(msg.batchId, msg.tracerIds);
        return;
      case 'store-failed':
        this.batcher.fail(msg.batchId, msg.error);
        return;
      case 'cooldown-result': {
        const waiter = this.cooldownWaiters.get(msg.id);
        this.cooldownWaiters.delete(msg.id);
        waiter?.(msg);
        return;
      }
      case 'lookback-result': {
        const waiter = this.lookbackWaiters.get(msg.id);
        this.lookbackWaiters.delete(msg.id);
        waiter?.(msg.answer);
        return;
      }
      case 'ping':
        this.heartbeat();
        return;
      case 'inject-fault':
        // Checked here too, not only by the supervisor: an actor obeys only in an agent
        // started for soak testing (the variable reaches workers and forked children alike).
        if (!faultInjectionEnabled()) {
          this.log('warn', `ignored an injected fault (${msg.kind}): fault injection is off`);
          return;
        }
        this.log('warn', `injected fault: ${msg.kind}`);
        // Off the message handler, so the fault hits the actor as a tracer's own bug would.
        setImmediate(() => inflictFault(msg.kind));
        return;
      default: {
        const _never: never = msg;
        return _never;
      }
    }
  }

  private async answer(id: number, call: ControlCall): Promise<void> {
    try {
      const value = await this.control(call);
      this.transport.send({ type: 'reply', id, ok: true, value });
      if (call.op === 'stop') this.transport.sendThenExit(null, 0);
    } catch (err) {
      this.transport.send({ type: 'reply', id, ok: false, error: serializeError(err) });
    }
  }

  private async control(call: ControlCall): Promise<unknown> {
    switch (call.op) {
      case 'start':
        if (this.attr === undefined) throw new ActorError('ACTOR_NOT_STARTED', 'the tracer is not ready');
        this.runLoop ??= this.loop(this.attr);
        return undefined;
      case 'stop':
        await this.stop();
        return undefined;
      case 'trigger':
        return this.trigger(call.request);
      case 'status':
        return this.selfStatus();
      case 'config':
        try {
          this.settings = this.parseSettings(call.settings, call.validated === true);
        } catch (err) {
          throw new ActorError('TRACER_BAD_CONFIG', `tracer "${this.init.name}": invalid settings: ${describe(err)}`);
        }
        return undefined;
      default: {
        const _never: never = call;
        return _never;
      }
    }
  }

  /**
   * The registration's schema applies only to settings nobody validated yet (a tracer outside
   * the catalog): catalog tracers' settings arrive parsed, validated once in the main thread.
   */
  private parseSettings(settings: unknown, validated: boolean): unknown {
    return this.settingsSchema !== undefined && !validated ? this.settingsSchema.parse(settings ?? {}) : settings;
  }

  private selfStatus(): ActorSelfStatus {
    return { phase: this.phase, starts: this.starts, eventsSent: this.batcher.eventsSent, savesPending: this.batcher.pending };
  }

  /** The seed's lifecycle: a normal return from start() is restarted after `interval`. */
  private async loop(attr: TracerAttr<unknown>): Promise<void> {
    const ctx = this.context();
    while (!this.abort.signal.aborted) {
      this.phase = 'running';
      this.starts++;
      try {
        await attr.tracer.start(ctx);
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (isUnavailableError(err)) {
          await this.closeBpf();
          this.unavailable(err);
          return;
        }
        if (isStorageDrop(err)) {
          // Storage could not take the event (its mailbox overflowed while it could not
          // write): not this tracer's fault, so not a crash; start() runs again as after a
          // normal return. The drop is counted (autotracer_events_dropped_total).
          this.log('warn', `[${this.init.name}] an event was dropped by storage (${describe(err)}); starting again after the interval`);
        } else {
          // A throw or rejection from start() is the tracer crashing.
          this.transport.sendThenExit({ type: 'fatal', kind: 'uncaught-exception', error: serializeError(err) }, 1);
          return;
        }
      }
      if (this.abort.signal.aborted) return;
      await this.closeBpf();
      const waitMs = attr.interval * 1000;
      this.phase = 'waiting-interval';
      this.transport.send({ type: 'start-returned', nextStartInMs: waitMs });
      await abortableSleep(waitMs, this.abort.signal);
    }
  }

  private async trigger(request: { containerId?: string; reason?: string }): Promise<void> {
    const tracer = this.attr?.tracer;
    if (tracer?.trigger === undefined) throw new ActorError('TRIGGER_UNSUPPORTED', `tracer "${this.init.name}" has no trigger()`);
    // Safety limit: one manual capture at a time per tracer.
    if (this.triggerInFlight !== undefined) throw new ActorError('TRIGGER_BUSY', `tracer "${this.init.name}" is already capturing`);
    const run = saveOrigin.run('manual', () => tracer.trigger!(request, this.context()));
    this.triggerInFlight = run;
    try {
      await run;
    } finally {
      this.triggerInFlight = undefined;
    }
  }

  private async stop(): Promise<void> {
    this.phase = 'stopping';
    this.abort.abort();
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([this.runLoop, this.triggerInFlight]);
    await this.batcher.drain(1000);
    await this.closeBpf();
  }

  private async closeBpf(): Promise<void> {
    const handles = this.bpfHandles.splice(0);
    for (const { object, handle } of handles.reverse()) {
      // Read its counters before closing: a closed object's programs are gone, and the
      // totals must survive the object being reopened by the next start().
      for (const stat of this.readProgramStats(object, handle)) addStat(this.bpfCarried, stat);
      try {
        handle.close();
      } catch (err) {
        this.log('warn', `closing a BPF object failed: ${describe(err)}`);
      }
    }
    this.releaseBpfStats();
    if (handles.length > 0) this.reportBpfStats();
  }

  private readProgramStats(object: string, handle: BpfObject): BpfProgramStat[] {
    try {
      return handle.programStats().map((p) => ({ object, program: p.name, runCount: Number(p.runCount), runTimeNs: Number(p.runTimeNs), id: p.id }));
    } catch {
      return []; // already closed by the tracer itself: nothing left to read
    }
  }

  /** Totals since this instance started: closed objects carried plus the open ones now. */
  private reportBpfStats(): void {
    if (this.bpfHandles.length === 0 && this.bpfCarried.size === 0) return;
    const totals = new Map<string, BpfProgramStat>();
    for (const stat of this.bpfCarried.values()) addStat(totals, stat);
    for (const { object, handle } of this.bpfHandles) for (const stat of this.readProgramStats(object, handle)) addStat(totals, stat);
    this.transport.send({ type: 'bpf-stats', programs: [...totals.values()], time: Date.now() });
  }

  private async holdBpfStats(): Promise<void> {
    if (!this.init.bpfStats || this.bpfStatsHandle !== undefined || this.bpfStatsFailed) return;
    try {
      const { enableBpfStats } = await import('../native/index.js');
      this.bpfStatsHandle = enableBpfStats();
    } catch (err) {
      // Not fatal: the tracer works, its programs' run counts just stay at zero.
      this.bpfStatsFailed = true;
      this.log('warn', `cannot enable BPF run statistics: ${describe(err)}`);
    }
  }

  private releaseBpfStats(): void {
    if (this.bpfHandles.length > 0 || this.bpfStatsHandle === undefined) return;
    try {
      this.bpfStatsHandle.close();
    } catch (err) {
      this.log('warn', `closing the BPF stats handle failed: ${describe(err)}`);
    }
    this.bpfStatsHandle = undefined;
  }

  private heartbeat(): void {
    if (this.init.isolation === 'thread') {
      // Utilization and CPU time are read by the supervisor; it needs the thread id once.
      const tid = this.bootHeartbeatSent ? undefined : currentThreadId();
      this.bootHeartbeatSent = true;
      this.transport.send({ type: 'heartbeat', time: Date.now(), ...(tid !== undefined ? { tid } : {}) });
      return;
    }
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.lastElu);
    this.lastElu = now;
    this.transport.send({ type: 'heartbeat', time: Date.now(), elu: delta.utilization, cpuSeconds: readProcessCpuSeconds() });
  }

  private async collectMetrics(): Promise<void> {
    const update = this.attr?.tracer.update;
    if (update === undefined || this.abort.signal.aborted) return;
    try {
      const samples = await update.call(this.attr!.tracer);
      this.transport.send({ type: 'metrics', samples, time: Date.now() });
    } catch (err) {
      // HUATUO logs a failing collector and carries on; so do we.
      this.log('warn', `update() failed: ${describe(err)}`);
    }
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.transport.send({ type: 'log', level, msg, ...(fields !== undefined ? { fields } : {}) });
  }

  private cooldownRequest(op: 'check' | 'arm' | 'try-arm', key: string | undefined, seconds: number | undefined) {
    const id = this.nextCooldownId++;
    return new Promise<{ ready: boolean; until: number; armed: boolean }>((resolve) => {
      this.cooldownWaiters.set(id, resolve);
      this.transport.send({ type: 'cooldown', id, op, key: key ?? '', seconds: seconds ?? this.init.cooldownSeconds });
    });
  }

  private lookbackRequest(fromMs: number, toMs: number, cgroupId: string | undefined): Promise<LookbackAnswer> {
    const id = this.nextLookbackId++;
    return new Promise<LookbackAnswer>((resolve) => {
      this.lookbackWaiters.set(id, resolve);
      this.transport.send({ type: 'lookback', id, fromMs, toMs, ...(cgroupId === undefined ? {} : { cgroupId }) });
    });
  }

  private context(): TracerContext<unknown> {
    const name = this.init.name;
    const logger: Logger = {
      debug: (m, f) => this.log('debug', m, f),
      info: (m, f) => this.log('info', m, f),
      warn: (m, f) => this.log('warn', m, f),
      error: (m, f) => this.log('error', m, f),
    };
    const cooldown: CooldownApi = {
      check: async (key) => toState(await this.cooldownRequest('check', key, undefined)),
      arm: async (key, seconds) => toState(await this.cooldownRequest('arm', key, seconds)),
      tryArm: async (key, seconds) => (await this.cooldownRequest('try-arm', key, seconds)).armed,
    };
    const self = this;
    return {
      name,
      signal: this.abort.signal,
      get config() {
        return self.settings;
      },
      cooldownSeconds: this.init.cooldownSeconds,
      get procRoot() {
        return settingsRoot(self.settings, 'procRoot') ?? self.init.procRoot;
      },
      get sysRoot() {
        return settingsRoot(self.settings, 'sysRoot') ?? self.init.sysRoot;
      },
      get containers() {
        return self.containerViews.view(self.settings);
      },
      logger,
      cooldown,
      lookback: ({ fromMs, toMs, cgroupId }) => this.lookbackRequest(fromMs, toMs, cgroupId),
      save: (input) => {
        // Serialised here, once: a value JSON cannot carry fails this save, in this tracer,
        // instead of failing a whole batch in the storage actor.
        let dataJson: string;
        try {
          dataJson = eventDataJson(input.data);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          return Promise.reject(new ActorError('EVENT_NOT_JSON', `[${name}] ctx.save(): the event data is not JSON-safe (${why}); convert BigInt to number or string and remove cycles`));
        }
        const oversize = oversizeJsonBytes(dataJson);
        if (oversize !== undefined) {
          return Promise.reject(new ActorError('EVENT_TOO_LARGE', `[${name}] ctx.save(): the event data is ${oversize} bytes of JSON, above the limit of ${MAX_EVENT_DATA_BYTES} bytes; save less (fewer stacks, a sample) or split it`));
        }
        return this.batcher.add({
          tracerName: name,
          tracerType: saveOrigin.getStore() ?? input.type ?? 'autotracing',
          time: input.time ?? Date.now(),
          ...(input.capture !== undefined ? { captureStarted: input.capture.startedMs, captureEnded: input.capture.endedMs } : {}),
          ...(input.container !== undefined
            ? { container: input.container }
            : input.containerId !== undefined ? { container: { id: input.containerId } } : {}),
          dataJson,
        });
      },
      loadBpf: async (objectName, options) => {
        // Imported on first use: actors that never touch BPF do not load the addon.
        const { BpfObject: Bpf } = await import('../native/index.js');
        const handle = Bpf.openBuilt(objectName, options);
        this.bpfHandles.push({ object: objectName, handle });
        await this.holdBpfStats();
        return handle;
      },
    };
  }
}

/** Crashes this actor the way a faulty tracer would; each kind maps to one crash reason. */
function inflictFault(kind: FaultKind): void {
  switch (kind) {
    case 'throw':
      throw new InjectedFault('injected fault: uncaught exception');
    case 'unhandled-rejection':
      void Promise.reject(new InjectedFault('injected fault: unhandled rejection'));
      return;
    case 'exit':
      process.exit(3);
      return;
    case 'hang':
      // Only the heartbeat watchdog can notice this.
      for (;;) {
        // spin
      }
    case 'heap-oom': {
      // Synchronously, in 800 kB arrays of unboxed doubles (nothing for the GC to trace):
      // a 192 MB cap is reached in about a second (measured), so the actor dies of the cap
      // (oom) rather than thrash in GC until the heartbeat watchdog calls it a hang.
      const hoard: number[][] = [];
      for (;;) {
        const chunk = new Array<number>(100_000);
        for (let i = 0; i < chunk.length; i++) chunk[i] = i + 0.5;
        hoard.push(chunk);
      }
    }
    case 'segv': {
      const addon = createRequire(import.meta.url)(testAddonPath) as { crash(): void };
      addon.crash();
      return;
    }
    default: {
      const _never: never = kind;
      return _never;
    }
  }
}

class InjectedFault extends Error {
  override name = 'InjectedFault';
}

function addStat(into: Map<string, BpfProgramStat>, stat: BpfProgramStat): void {
  const key = `${stat.object}\0${stat.program}`;
  const prev = into.get(key);
  if (prev === undefined) into.set(key, { ...stat });
  else {
    prev.runCount += stat.runCount;
    prev.runTimeNs += stat.runTimeNs;
  }
}

/** A tracer's own `settings.procRoot` / `.sysRoot`, when its schema has one. */
function settingsRoot(settings: unknown, key: 'procRoot' | 'sysRoot'): string | undefined {
  const value = typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function toState(r: { ready: boolean; until: number }): CooldownState {
  return { ready: r.ready, until: r.until };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
