// The lifecycle every supervised child goes through, whatever it runs (a tracer actor, the
// storage actor): spawn an instance and race its boot against its exit and a deadline;
// watch it (heartbeat messages, or a worker's loop seen turning) and kill it when it hangs;
// on an unexpected exit ask the restart policy and arm the restart timer; stop it with a
// polite request, then terminate/kill deadlines. What differs between children (their
// messages, how an exit is classified and recorded, what an exhausted budget means, how
// hard a stop escalates) is passed in as hooks and plans: TracerChild and StorageChild
// keep only their own policy.
import { raceTimeout } from '../common/race-timeout.js';
import type { ActorHost, ExitInfo } from './actor-host.js';
import { ThreadLiveness, type LivenessSample } from './liveness.js';
import { RestartPolicy, type RestartDecision, type RestartPolicyConfig } from './restart-policy.js';
import type { ActorStatus, CrashReason } from './status.js';
import { watchdogTicks } from './tick-group.js';

/** How a boot race ended: the actor's own answer, its exit, or the deadline (then it is killed). */
export type BootOutcome = 'ready' | 'unavailable' | 'exited' | 'timeout';

export type ShutdownOutcome = 'graceful' | 'terminated' | 'killed' | 'stuck' | 'not-running';

/** One instance of a child: its transport and what the lifecycle watches of it. */
export interface ChildInstance<In, Out> {
  readonly host: ActorHost<In, Out>;
  /** Settles the boot race: the actor said it is ready, or that it cannot run here. */
  settleBoot(outcome: 'ready' | 'unavailable'): void;
  readonly booted: Promise<'ready' | 'unavailable'>;
  /** Last proof of life: a heartbeat message, or (threads) a loop seen idle by `liveness`. */
  lastHeartbeat: number | undefined;
  /** Thread isolation: the worker's loop and CPU time, watched from this thread. */
  readonly liveness: ThreadLiveness | undefined;
  /** Set when the lifecycle killed it: not ready in time, or it stopped answering. */
  killedFor: 'start-timeout' | 'hang' | undefined;
  /** Being stopped on purpose: the watchdog leaves it alone. */
  stopping: boolean;
  /** Unsubscribes the watchdog from the shared tick (armed by the first heartbeat). */
  watchdog: (() => void) | undefined;
}

/** The lifecycle's part of a new instance; a child spreads its own fields next to it. */
export function childInstance<In, Out>(host: ActorHost<In, Out>): ChildInstance<In, Out> {
  let settle!: (outcome: 'ready' | 'unavailable') => void;
  const booted = new Promise<'ready' | 'unavailable'>((resolve) => (settle = resolve));
  return {
    host,
    booted,
    settleBoot: (outcome) => settle(outcome),
    lastHeartbeat: undefined,
    liveness: host.loopUtilization !== undefined ? new ThreadLiveness(host.loopUtilization) : undefined,
    killedFor: undefined,
    stopping: false,
    watchdog: undefined,
  };
}

export interface LifecycleSpec {
  restart: RestartPolicyConfig;
  startTimeoutMs: number;
  heartbeatMs: number;
  /** Heartbeat periods without a sign of life before the instance is killed as hung. */
  missedHeartbeats: number;
}

export interface ChildHooks<In, Out, I extends ChildInstance<In, Out>> {
  /** Starts the next instance's host; the lifecycle wires its messages and its exit. */
  createInstance(): I;
  onMessage(inst: I, msg: Out): void;
  /** Sent to a thread whose loop showed no idle time; a live actor answers with a heartbeat. */
  ping: In;
  /** Every watchdog tick of a thread instance, with what its loop did (status figures). */
  onSample?(inst: I, sample: LivenessSample): void;
  /** The instance missed its heartbeats and is about to be killed. */
  onHang?(inst: I): void;
  /**
   * The current instance exited (its watchdog already released). Records what the child
   * keeps of it and returns the crash reason, or undefined when the exit was expected
   * (stopping, unavailable, never ready): then nothing is counted and nothing restarts.
   */
  onExit(inst: I, exit: ExitInfo): CrashReason | undefined;
  /** The restart policy decided on a crash; true arms the restart timer for its delay. */
  onCrash(inst: I, reason: CrashReason, decision: RestartDecision): boolean;
  /** What the restart timer runs: the child's own spawn (which calls spawn() and boot()). */
  restart(): Promise<unknown>;
}

/** How an instance is stopped: a request, a grace period, then harder steps, each with its wait. */
export interface StopPlan<I> {
  /** Asks the actor to stop; the grace period runs from here (a returned promise may end it sooner). */
  request(inst: I): Promise<unknown> | void;
  graceMs: number;
  escalation: readonly { step: 'terminate' | 'kill'; waitMs: number }[];
  /** Nothing ended it (a worker stuck in native code cannot be terminated). */
  onStuck(): void;
}

export class ChildLifecycle<In, Out, I extends ChildInstance<In, Out>> {
  private readonly policy: RestartPolicy;
  private instance: I | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private halted = false;

  /** `status` is the child's own: the lifecycle counts crashes and the last exit in it. */
  constructor(
    private readonly spec: LifecycleSpec,
    private readonly status: ActorStatus,
    private readonly hooks: ChildHooks<In, Out, I>,
    clock: () => number = Date.now,
  ) {
    this.policy = new RestartPolicy(spec.restart, clock);
  }

  /** The newest instance (kept after it exited: its last heartbeat and figures stay readable). */
  get current(): I | undefined {
    return this.instance;
  }

  /** Set by stop() until the next start: exits are not crashes and nothing restarts. */
  get stopping(): boolean {
    return this.halted;
  }

  /** A start begins: exits count as crashes again. */
  resume(): void {
    this.halted = false;
  }

  /** An operator's start: a pending restart is cancelled and the crash history forgotten. */
  resetBudget(): void {
    this.cancelRestart();
    this.policy.reset();
  }

  /** The instance is up (ready and started): the policy's healthy-run clock starts. */
  started(): void {
    this.policy.started();
  }

  /** Creates the next instance and makes it the current one. */
  spawn(): I {
    const inst = this.hooks.createInstance();
    this.instance = inst;
    inst.host.onMessage((msg) => this.hooks.onMessage(inst, msg));
    void inst.host.exited.then((exit) => this.onExit(inst, exit));
    return inst;
  }

  /** Its answer vs its exit vs startTimeoutMs; an instance that loses to the deadline is killed. */
  async boot(inst: I): Promise<BootOutcome> {
    const exited = inst.host.exited.then(() => 'exited' as const);
    const outcome = await raceTimeout(Promise.race([inst.booted, exited]), this.spec.startTimeoutMs);
    if (outcome === 'timeout') {
      inst.killedFor = 'start-timeout';
      inst.host.kill();
    }
    return outcome;
  }

  /**
   * A heartbeat message from `inst`; returns when it was received. The watchdog is armed
   * only by the first one: boot time is bounded by startTimeoutMs instead.
   */
  heartbeat(inst: I, tid: number | undefined): number {
    const now = Date.now();
    if (inst.lastHeartbeat === undefined) inst.watchdog = watchdogTicks.every(this.spec.heartbeatMs, () => this.watch(inst));
    inst.lastHeartbeat = now;
    if (tid !== undefined) inst.liveness?.setThreadId(tid);
    return now;
  }

  /** Stops for good (until resume()): cancels a pending restart, then stops the current instance. */
  async stop(plan: StopPlan<I>): Promise<ShutdownOutcome> {
    this.halted = true;
    this.cancelRestart();
    const inst = this.instance;
    return inst === undefined || !inst.host.alive ? 'not-running' : this.shutdown(inst, plan);
  }

  /** request → (graceMs) → each escalation step → (its waitMs) → stuck. */
  async shutdown(inst: I, plan: StopPlan<I>): Promise<ShutdownOutcome> {
    inst.stopping = true;
    if (!inst.host.alive) return 'not-running';
    const deadline = Date.now() + plan.graceMs;
    await Promise.race([Promise.resolve(plan.request(inst)).catch(() => undefined), inst.host.exited]);
    if ((await raceTimeout(inst.host.exited, Math.max(0, deadline - Date.now()))) !== 'timeout') return 'graceful';
    for (const { step, waitMs } of plan.escalation) {
      if (step === 'terminate') inst.host.terminate();
      else inst.host.kill();
      if ((await raceTimeout(inst.host.exited, waitMs)) !== 'timeout') return step === 'terminate' ? 'terminated' : 'killed';
    }
    plan.onStuck();
    return 'stuck';
  }

  private cancelRestart(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  /** Every heartbeatMs once armed: threads are observed (and pinged if busy), then the hang check. */
  private watch(inst: I): void {
    if (inst.lastHeartbeat === undefined || !inst.host.alive || inst.stopping) return;
    if (inst.liveness !== undefined) {
      const sample = inst.liveness.sample();
      this.hooks.onSample?.(inst, sample);
      if (sample.turned) inst.lastHeartbeat = Date.now();
      else inst.host.send(this.hooks.ping);
    }
    if (Date.now() - inst.lastHeartbeat > this.spec.missedHeartbeats * this.spec.heartbeatMs) {
      inst.killedFor = 'hang';
      this.hooks.onHang?.(inst);
      inst.host.kill();
    }
  }

  private onExit(inst: I, exit: ExitInfo): void {
    inst.watchdog?.();
    inst.liveness?.close();
    if (this.instance !== inst) return;
    const reason = this.hooks.onExit(inst, exit);
    if (reason === undefined) return;
    this.status.lastExit = { at: Date.now(), reason, code: exit.code, signal: exit.signal };
    this.status.restartsByReason[reason]++;
    this.status.restarts++;
    const decision = this.policy.onCrash();
    if (!this.hooks.onCrash(inst, reason, decision)) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.hooks.restart();
    }, decision.delayMs);
  }
}
