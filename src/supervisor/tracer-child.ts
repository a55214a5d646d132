// One supervised tracer across all its actor instances: the tracer's side of the shared
// child lifecycle (child-lifecycle.ts: spawn, boot race, watchdog, restart timer, stop):
// its init and start call, its messages, how each exit is classified, what a crash over
// budget means (disabled, retried later), and the tracer's status. The supervisor owns the
// cooldown ledger and the storage relay; this class reaches them through `TracerDeps`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serializeError, type SerializedError } from '../common/coded-error.js';
import { faultInjectionEnabled, FAULT_INJECTION_ENV, type ActorHeartbeat, type ActorInit, type ActorSelfStatus, type BpfProgramStat, type FaultKind, type FromActor, type ToActor } from '../actors/protocol.js';
import { testAddonPath } from '../paths.js';
import type { LookbackAnswer, TriggerRequest } from '../actors/tracer-api.js';
import type { EventInput } from '../event/index.js';
import { raceTimeout } from '../common/race-timeout.js';
import { createHost, type ExitInfo } from './actor-host.js';
import { ChildLifecycle, childInstance, type ChildInstance, type ShutdownOutcome, type StopPlan } from './child-lifecycle.js';
import type { CooldownDecision } from './cooldown-ledger.js';
import { ControlClient } from './control-client.js';
import { FaultInjectionError, SupervisorError } from './errors.js';
import type { TracerEvent } from './events.js';
import { settingsForActor, type ActorSettings } from './settings.js';
import type { RestartDecision } from './restart-policy.js';
import type { TracerSpec } from './spec.js';
import { initialActorStatus, type ActorState, type ActorStatus, type BpfProgramTotals, type CrashReason } from './status.js';

const entryPaths = {
  thread: fileURLToPath(new URL('../actors/entry-thread.js', import.meta.url)),
  process: fileURLToPath(new URL('../actors/entry-process.js', import.meta.url)),
};

/** How long a manual start watches a tracer's start() before asking for a sign of life. */
const START_SETTLE_MS = 500;

export interface TracerDeps {
  store(tracer: string, events: EventInput[]): Promise<string[]>;
  cooldown(tracer: string, op: 'check' | 'arm' | 'try-arm', key: string, seconds: number): Promise<CooldownDecision>;
  /** The look-back slice of [fromMs, toMs); never rejects (an answer says why there is none). */
  lookback(fromMs: number, toMs: number, cgroupId?: string): Promise<LookbackAnswer>;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  /** Observers (tests, benchmarks, metrics). */
  emit(event: TracerEvent): void;
}

interface Instance extends ChildInstance<ToActor, FromActor> {
  client: ControlClient;
  fatal?: { kind: 'uncaught-exception' | 'unhandled-rejection'; error: SerializedError };
  unavailable: boolean;
  cpuSeconds: number;
  /** The instance's latest BPF report (totals since it started). */
  bpfPrograms: BpfProgramStat[];
}

export class TracerChild {
  private readonly life: ChildLifecycle<ToActor, FromActor, Instance>;
  private readonly stopPlan: StopPlan<Instance>;
  private cpuBefore = 0;
  /** BPF totals of instances that have exited, by object and program. */
  private readonly bpfBefore = new Map<string, BpfProgramTotals>();
  private readonly st: ActorStatus;

  constructor(readonly spec: TracerSpec, private readonly deps: TracerDeps, clock: () => number = Date.now) {
    this.st = initialActorStatus(spec.name, 'tracer', spec.isolation);
    // stop call → (shutdownMs) → terminate/SIGTERM → (killAfterMs) → kill/SIGKILL.
    this.stopPlan = {
      request: (inst) => inst.client.call({ op: 'stop' }, spec.shutdownMs),
      graceMs: spec.shutdownMs,
      escalation: [
        { step: 'terminate', waitMs: spec.killAfterMs },
        // A worker stuck in native code cannot be terminated; a process always dies on SIGKILL.
        { step: 'kill', waitMs: spec.killAfterMs },
      ],
      onStuck: () => this.deps.log('error', `[${this.name}] is stuck in native code and cannot be terminated`),
    };
    this.life = new ChildLifecycle(spec, this.st, {
      createInstance: () => this.createInstance(),
      onMessage: (inst, msg) => this.onActorMessage(inst, msg),
      ping: { type: 'ping' },
      onSample: (inst, sample) => {
        this.st.eventLoopUtilization = sample.utilization;
        this.currentCpuSeconds(inst); // so a crash loses at most one tick of CPU time
      },
      onHang: () => this.deps.log('warn', `[${this.name}] missed ${this.spec.missedHeartbeats} heartbeats: killing it`),
      onExit: (inst, exit) => this.onExit(inst, exit),
      onCrash: (_inst, reason, decision) => this.onCrash(reason, decision),
      restart: () => this.spawn(),
    }, clock);
  }

  private get current(): Instance | undefined {
    return this.life.current;
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): ActorState {
    return this.st.state;
  }

  status(): ActorStatus {
    const hb = this.current?.lastHeartbeat;
    return {
      ...this.st,
      restartsByReason: { ...this.st.restartsByReason },
      metrics: [...this.st.metrics],
      heartbeatAgeMs: hb === undefined ? undefined : Date.now() - hb,
      cpuSeconds: this.cpuBefore + (this.current !== undefined ? this.currentCpuSeconds(this.current) : 0),
      bpfPrograms: this.bpfTotals(),
    };
  }

  private currentCpuSeconds(inst: Instance): number {
    if (inst.liveness !== undefined && inst.host.alive) inst.cpuSeconds = inst.liveness.cpuSeconds() ?? inst.cpuSeconds;
    return inst.cpuSeconds;
  }

  /** Exited instances' totals plus the current instance's latest report. */
  private bpfTotals(): BpfProgramTotals[] {
    const totals = new Map<string, BpfProgramTotals>();
    for (const t of this.bpfBefore.values()) addBpf(totals, t);
    for (const t of this.current?.bpfPrograms ?? []) addBpf(totals, t);
    return [...totals.values()];
  }

  /** Spawns the first instance; resolves when it runs (or is unavailable / crashed). */
  async start(): Promise<void> {
    this.life.resume();
    await this.spawn();
  }

  /**
   * A start asked for by an operator (`tracers start`, the API): a pending restart is
   * cancelled and the crash history forgotten (a disabled tracer gets its whole budget
   * back), then the start is confirmed by a sign of life (confirmAlive).
   */
  async startManually(): Promise<void> {
    this.life.resetBudget();
    await this.start();
    await this.confirmAlive();
  }

  /**
   * "running" only means the actor accepted the start call; a tracer that throws right after
   * (a BPF object that fails to load, a file it cannot open) would look started. So wait
   * START_SETTLE_MS, then for a heartbeat newer than that (a ping asks for one), or the
   * exit: the exit is recorded by onExit as any crash, and the caller reads the state.
   */
  private async confirmAlive(): Promise<void> {
    const inst = this.current;
    if (inst === undefined || this.st.state !== 'running') return;
    const exited = inst.host.exited.then(() => 'exited' as const);
    if ((await raceTimeout(exited, START_SETTLE_MS)) === 'exited') return;
    const since = Date.now();
    const deadline = since + this.spec.missedHeartbeats * this.spec.heartbeatMs;
    inst.host.send({ type: 'ping' });
    while (Date.now() < deadline && inst.host.alive && this.current === inst) {
      if ((inst.lastHeartbeat ?? 0) >= since) return;
      if ((await raceTimeout(exited, 20)) === 'exited') return;
    }
  }

  async trigger(request: TriggerRequest): Promise<void> {
    const inst = this.runningInstance();
    await inst.client.call({ op: 'trigger', request }, this.spec.triggerTimeoutMs);
    this.st.manualTriggers++;
  }

  /** The actor's own view (phase, starts, events sent, saves pending). */
  async actorStatus(): Promise<ActorSelfStatus> {
    return (await this.runningInstance().client.call({ op: 'status' }, this.spec.callTimeoutMs)) as ActorSelfStatus;
  }

  /** New settings for the running actor; also kept for its future restarts. */
  async configure(settings: unknown): Promise<void> {
    const inst = this.runningInstance();
    const valid = settingsForActor(this.name, this.spec.modulePath, settings, false);
    await inst.client.call({ op: 'config', settings: valid.settings, validated: valid.validated }, this.spec.callTimeoutMs);
    this.spec.settings = valid.settings;
    this.spec.settingsValidated = valid.validated;
  }

  /**
   * Soak tests only: asks the running actor to crash itself in the given way. Returns once
   * the message is sent; the crash, its classification and the restart follow as for any
   * crash. Refused (FaultInjectionError) unless the agent runs with
   * AUTOTRACER_FAULT_INJECTION=1, for heap-oom without a heap cap (it would thrash for
   * tens of seconds, then be killed as a hang), and for segv without the test addon or in
   * thread isolation (a native SIGSEGV in a worker kills the whole agent).
   */
  injectFault(kind: FaultKind): void {
    if (!faultInjectionEnabled()) {
      throw new FaultInjectionError('FAULT_INJECTION_DISABLED', `fault injection is off: start the agent with ${FAULT_INJECTION_ENV}=1 (never in production)`);
    }
    if (kind === 'heap-oom' && this.spec.maxOldGenerationSizeMb === undefined) {
      throw new FaultInjectionError('FAULT_UNSUPPORTED', `tracer "${this.name}" has no maxOldGenerationSizeMb: a heap-oom fault needs a heap cap`);
    }
    if (kind === 'segv' && this.spec.isolation !== 'process') {
      throw new FaultInjectionError('FAULT_UNSUPPORTED', `tracer "${this.name}" runs in a thread: a native SIGSEGV would kill the whole agent (use isolation "process")`);
    }
    if (kind === 'segv' && !existsSync(testAddonPath)) {
      throw new FaultInjectionError('FAULT_UNSUPPORTED', `a segv fault needs the test addon (${testAddonPath})`);
    }
    this.runningInstance().host.send({ type: 'inject-fault', kind });
    this.deps.log('warn', `[${this.name}] fault injected: ${kind}`);
  }

  private runningInstance(): Instance {
    const inst = this.current;
    if (inst === undefined || this.st.state !== 'running') {
      throw new SupervisorError('TRACER_NOT_RUNNING', `tracer "${this.name}" is ${this.st.state}`);
    }
    return inst;
  }

  async stop(): Promise<ShutdownOutcome> {
    const outcome = await this.life.stop(this.stopPlan);
    if (this.st.state !== 'unavailable') this.setState('stopped');
    return outcome;
  }

  private setState(state: ActorState, reason?: string): void {
    this.st.state = state;
    this.st.stateReason = reason;
    if (state !== 'restarting' && state !== 'disabled') this.st.nextStartAt = undefined;
    this.deps.emit({ type: 'state', tracer: this.name, state, at: Date.now() });
  }

  private async spawn(): Promise<void> {
    if (this.life.stopping) return;
    this.setState('starting');
    let settings: ActorSettings;
    try {
      settings = settingsForActor(this.name, this.spec.modulePath, this.spec.settings, this.spec.settingsValidated === true);
    } catch (err) {
      // As when the actor itself rejects its settings: unavailable, not a crash, no restart.
      this.st.lastError = serializeError(err);
      this.setState('unavailable', this.st.lastError.message);
      this.deps.log('warn', `[${this.name}] unavailable: ${this.st.lastError.message}`);
      return;
    }
    const inst = this.life.spawn();
    const host = inst.host;
    this.st.pid = host.pid;
    host.send({ type: 'init', init: this.actorInit(settings) });

    // Boot: ready within startTimeoutMs, else it is killed as a start timeout.
    const booted = await this.life.boot(inst);
    if (booted === 'timeout' || booted === 'exited' || inst.unavailable || this.life.stopping) return;
    try {
      await inst.client.call({ op: 'start' }, this.spec.callTimeoutMs);
    } catch {
      return; // its exit (or unavailability) is handled by onExit / onActorMessage
    }
    if (this.current !== inst || !host.alive || inst.unavailable) return;
    this.life.started();
    this.setState('running');
  }

  private createInstance(): Instance {
    const host = createHost<ToActor, FromActor>(this.spec.isolation, entryPaths[this.spec.isolation], {
      ...(this.spec.maxOldGenerationSizeMb !== undefined ? { maxOldGenerationSizeMb: this.spec.maxOldGenerationSizeMb } : {}),
    });
    return { ...childInstance(host), client: new ControlClient(host, this.name), unavailable: false, cpuSeconds: 0, bpfPrograms: [] };
  }

  private actorInit(settings: ActorSettings): ActorInit {
    const s = this.spec;
    return {
      name: s.name, modulePath: s.modulePath, settings: settings.settings, settingsValidated: settings.validated, cooldownSeconds: s.cooldownSeconds,
      heartbeatMs: s.heartbeatMs, metricsIntervalMs: s.metricsIntervalMs, batch: s.batch, isolation: s.isolation,
      bpfStats: s.bpfStats, procRoot: s.procRoot, sysRoot: s.sysRoot,
    };
  }

  private onActorMessage(inst: Instance, msg: FromActor): void {
    switch (msg.type) {
      case 'ready':
        inst.settleBoot('ready');
        return;
      case 'reply':
        inst.client.settle(msg);
        return;
      case 'heartbeat':
        this.onHeartbeat(inst, msg);
        return;
      case 'events':
        this.relayEvents(inst, msg.batchId, msg.events);
        return;
      case 'metrics':
        this.st.metrics = msg.samples;
        this.st.metricsTime = msg.time;
        return;
      case 'bpf-stats':
        inst.bpfPrograms = msg.programs;
        return;
      case 'memory':
        this.st.memory = msg.memory;
        return;
      case 'cooldown':
        void this.deps.cooldown(this.name, msg.op, msg.key, msg.seconds).then((d) => {
          if (d.armed) this.st.hits++;
          // A capture the cooldown held back. 'arm' is unconditional, so never a skip.
          if ((msg.op === 'try-arm' && !d.armed) || (msg.op === 'check' && !d.ready)) this.st.cooldownSkips++;
          inst.host.send({ type: 'cooldown-result', id: msg.id, ready: d.ready, until: d.until, armed: d.armed });
        });
        return;
      case 'lookback':
        void this.deps.lookback(msg.fromMs, msg.toMs, msg.cgroupId).then((answer) => inst.host.send({ type: 'lookback-result', id: msg.id, answer }));
        return;
      case 'start-returned':
        this.st.normalReturns++;
        return;
      case 'unavailable':
        this.onUnavailable(inst, msg.error);
        return;
      case 'fatal':
        inst.fatal = { kind: msg.kind, error: msg.error };
        return;
      case 'log':
        this.deps.log(msg.level, `[${this.name}] ${msg.msg}`, msg.fields);
        this.deps.emit({ type: 'log', tracer: this.name, level: msg.level, msg: msg.msg, ...(msg.fields !== undefined ? { fields: msg.fields } : {}) });
        return;
      default: {
        const _never: never = msg;
        return _never;
      }
    }
  }

  private onHeartbeat(inst: Instance, msg: ActorHeartbeat): void {
    const now = this.life.heartbeat(inst, msg.tid);
    if (msg.cpuSeconds !== undefined) inst.cpuSeconds = msg.cpuSeconds;
    if (msg.elu !== undefined) this.st.eventLoopUtilization = msg.elu;
    this.deps.emit({ type: 'heartbeat', tracer: this.name, time: msg.time, receivedAt: now });
  }

  private relayEvents(inst: Instance, batchId: number, events: EventInput[]): void {
    this.st.eventsSent += events.length;
    this.deps.emit({ type: 'events', tracer: this.name, events, receivedAt: Date.now() });
    this.deps.store(this.name, events).then(
      (tracerIds) => {
        this.st.eventsStored += tracerIds.length;
        inst.host.send({ type: 'stored', batchId, tracerIds });
        this.deps.emit({ type: 'stored', tracer: this.name, tracerIds, at: Date.now() });
      },
      (err: unknown) => {
        const error = { name: 'Error', message: err instanceof Error ? err.message : String(err), ...(hasCode(err) ? { code: err.code } : {}) };
        inst.host.send({ type: 'store-failed', batchId, error });
      },
    );
  }

  private onUnavailable(inst: Instance, error: SerializedError): void {
    inst.unavailable = true;
    this.st.lastError = error;
    this.setState('unavailable', error.message);
    this.deps.log('warn', `[${this.name}] unavailable: ${error.message}`);
    inst.settleBoot('unavailable');
    // Not a crash and not restarted: release the actor (it may hold nothing, but be tidy).
    void this.life.shutdown(inst, this.stopPlan);
  }

  /** Keeps what the instance leaves behind; its crash reason, unless it was stopped or unavailable. */
  private onExit(inst: Instance, exit: ExitInfo): CrashReason | undefined {
    this.cpuBefore += inst.cpuSeconds;
    inst.cpuSeconds = 0;
    for (const t of inst.bpfPrograms) addBpf(this.bpfBefore, t);
    inst.bpfPrograms = [];
    this.st.pid = undefined;
    if (inst.stopping || this.life.stopping || inst.unavailable) {
      this.st.lastExit = { at: Date.now(), reason: inst.unavailable ? 'unavailable' : 'stopped', code: exit.code, signal: exit.signal };
      return undefined;
    }
    const reason = classifyExit(inst, exit);
    this.st.lastError = crashError(reason, inst, exit);
    return reason;
  }

  /** Restarted after the policy's delay; over budget it is disabled, and retried after the (longer) delay. */
  private onCrash(reason: CrashReason, decision: RestartDecision): boolean {
    this.deps.emit({ type: 'crash', tracer: this.name, reason, delayMs: decision.delayMs, action: decision.action, at: Date.now() });
    // One entry per crash, with the (source-mapped) stack when the actor sent one: the
    // supervisor is the only place that sees it, the actor is gone.
    const stack = stackBody(this.st.lastError?.stack);
    this.deps.log('warn', `[${this.name}] crashed (${reason}: ${this.st.lastError?.message}); ${decision.action} in ${decision.delayMs} ms${stack !== '' ? `\n${stack}` : ''}`);
    this.st.nextStartAt = Date.now() + decision.delayMs;
    if (decision.action === 'disable') {
      this.setState('disabled', `over budget: more than ${this.spec.restart.budgetCount} crashes in ${this.spec.restart.budgetWindowMs} ms`);
    } else {
      this.setState('restarting', reason);
    }
    this.st.nextStartAt = Date.now() + decision.delayMs;
    return true;
  }
}

function addBpf(into: Map<string, BpfProgramTotals>, t: BpfProgramTotals): void {
  const key = `${t.object}\0${t.program}`;
  const prev = into.get(key);
  if (prev === undefined) into.set(key, { object: t.object, program: t.program, runCount: t.runCount, runTimeNs: t.runTimeNs, ...(t.id !== undefined ? { id: t.id } : {}) });
  else {
    prev.runCount += t.runCount;
    prev.runTimeNs += t.runTimeNs;
    if (t.id !== undefined) prev.id = t.id;
  }
}

function classifyExit(inst: Instance, exit: ExitInfo): CrashReason {
  if (inst.killedFor !== undefined) return inst.killedFor;
  if (exit.error?.code === 'ERR_WORKER_OUT_OF_MEMORY') return 'oom';
  if (inst.fatal !== undefined) return inst.fatal.kind;
  if (exit.signal !== null) return 'signal';
  if (exit.error !== undefined) return 'uncaught-exception';
  return 'exit';
}

/** Codes of crashes whose error carries none: what the supervisor itself knows. */
const crashCodes: Record<CrashReason, string> = {
  'uncaught-exception': 'UNCAUGHT_EXCEPTION',
  'unhandled-rejection': 'UNHANDLED_REJECTION',
  exit: 'ACTOR_EXIT',
  oom: 'ERR_WORKER_OUT_OF_MEMORY',
  hang: 'HEARTBEAT_MISSED',
  signal: 'ACTOR_SIGNAL',
  'start-timeout': 'START_TIMEOUT',
};

/**
 * The error a crash leaves in status: the actor's own (with its stack) when it reported one,
 * else the worker's error event, else one describing the exit. Always with a code: the
 * error's own (e.g. ENOENT, an ActorError code), else the signal name (SIGSEGV), else the
 * crash reason's code.
 */
function crashError(reason: CrashReason, inst: Instance, exit: ExitInfo): SerializedError {
  const forced = inst.killedFor !== undefined;
  const base: SerializedError = forced
    ? { name: 'ActorExit', message: reason === 'hang' ? 'missed heartbeats: killed as hung' : 'not ready in time: killed' }
    : inst.fatal?.error ?? exit.error ?? { name: 'ActorExit', message: `exited with code ${exit.code}, signal ${exit.signal}` };
  const code = base.code ?? (reason === 'signal' && exit.signal !== null ? exit.signal : crashCodes[reason]);
  return { ...base, code };
}

/** The frames of a stack (its first line repeats the message, already in the log line). */
export function stackBody(stack: string | undefined): string {
  if (stack === undefined) return '';
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  return first < 0 ? '' : lines.slice(first).join('\n');
}

function hasCode(err: unknown): err is { code: string } {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string';
}
