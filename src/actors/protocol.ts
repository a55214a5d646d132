// The typed message protocol between the supervisor (main thread) and one tracer actor.
// The same messages travel over a worker's parentPort (isolation "thread") and over the
// child-process IPC channel (isolation "process"), so every message is a plain,
// JSON-safe object. Control calls are request/response pairs matched by `id`; the
// supervisor races each against the actor's exit and a timeout (a call pending on a dead
// actor never settles on its own). Data (events, metric samples) is batched.
import type { SerializedError } from '../common/coded-error.js';
import type { IsolateMemory } from '../common/memory-usage.js';
import type { EventInput } from '../event/index.js';
import type { LookbackAnswer, MetricSample, TriggerRequest } from './tracer-api.js';

export type Isolation = 'thread' | 'process';

// ---- fault injection (soak tests only) ----------------------------------------------
/**
 * Crash kinds the runtime can inflict on its own actor, so a soak run can exercise every
 * failure mode of a real tracer (docs/soak.md). Never enabled in production: the agent
 * refuses every injection unless it runs with AUTOTRACER_FAULT_INJECTION=1, and the actor
 * checks the variable again before obeying.
 */
export const faultKinds = ['throw', 'unhandled-rejection', 'exit', 'hang', 'heap-oom', 'segv'] as const;
export type FaultKind = (typeof faultKinds)[number];

export const FAULT_INJECTION_ENV = 'AUTOTRACER_FAULT_INJECTION';

/** True only when the process was started with AUTOTRACER_FAULT_INJECTION=1. */
export function faultInjectionEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[FAULT_INJECTION_ENV] === '1';
}

/** Everything an actor needs to become a tracer; sent as its first message. */
export interface ActorInit {
  name: string;
  /** Absolute path of the compiled module that calls registerTracer(name, ...). */
  modulePath: string;
  /**
   * The `settings` section: already validated (defaults filled in) for a tracer in the
   * built-in catalog, at config load or by the supervisor (supervisor/settings.ts); otherwise
   * raw, validated in the actor by the schema in the tracer's registration when it has one.
   */
  settings: unknown;
  /** `settings` were parsed in the main thread: the actor does not parse them again. */
  settingsValidated?: boolean;
  cooldownSeconds: number;
  heartbeatMs: number;
  /** Metric samples are collected from update() this often (tracers with Flag.Metric). */
  metricsIntervalMs: number;
  batch: { maxEvents: number; maxDelayMs: number };
  isolation: Isolation;
  /**
   * Hold a bpf_enable_stats(BPF_STATS_RUN_TIME) handle while any BPF object is open, so
   * run counts and run times are counted. While any such handle is open on the host the
   * kernel times EVERY BPF program (about 20 ns per invocation), not only ours.
   */
  bpfStats: boolean;
  /** TracerContext.procRoot / sysRoot unless the settings carry their own. */
  procRoot: string;
  sysRoot: string;
}

/**
 * One BPF program's statistics as the actor reports them: totals since this actor
 * instance started (objects closed and reopened by start() returning are carried over).
 * Numbers, not bigints: messages must be JSON-safe (process IPC).
 */
export interface BpfProgramStat {
  /** The object name given to ctx.loadBpf. */
  object: string;
  program: string;
  runCount: number;
  runTimeNs: number;
  /** Kernel program id of the open object (joins /proc/<pid>/fdinfo, `autotracer cost`). */
  id?: number;
}

export type ControlCall =
  | { op: 'start' }
  | { op: 'stop' }
  | { op: 'trigger'; request: TriggerRequest }
  | { op: 'status' }
  /** Replace the tracer's settings (validated by its schema); ctx.config reads the new value. */
  | { op: 'config'; settings: unknown; validated?: boolean };

export interface ActorSelfStatus {
  phase: 'idle' | 'running' | 'waiting-interval' | 'stopping';
  starts: number;
  eventsSent: number;
  savesPending: number;
}

// ---- supervisor → actor -------------------------------------------------------------
export type ToActor =
  | { type: 'init'; init: ActorInit }
  | { type: 'call'; id: number; call: ControlCall }
  /** Durability ack for an event batch: tracer ids in order, or the failure. */
  | { type: 'stored'; batchId: number; tracerIds: string[] }
  | { type: 'store-failed'; batchId: number; error: SerializedError }
  | { type: 'cooldown-result'; id: number; ready: boolean; until: number; armed: boolean }
  /** The look-back slice asked for by a `lookback` request (or why there is none). */
  | { type: 'lookback-result'; id: number; answer: LookbackAnswer }
  /** Soak tests only (faultInjectionEnabled): crash this actor in the given way. */
  | { type: 'inject-fault'; kind: FaultKind }
  /** Thread isolation: the loop showed no idle time; answer with a heartbeat (liveness.ts). */
  | { type: 'ping' };

// ---- actor → supervisor -------------------------------------------------------------
export type FromActor =
  | { type: 'ready'; flags: number; interval: number; hasTrigger: boolean }
  | { type: 'reply'; id: number; ok: true; value?: unknown }
  | { type: 'reply'; id: number; ok: false; error: SerializedError }
  | { type: 'events'; batchId: number; events: EventInput[] }
  | { type: 'metrics'; samples: MetricSample[]; time: number }
  /** On every metrics tick: this isolate's heap and the process's RSS (status --verbose). */
  | { type: 'memory'; memory: IsolateMemory }
  /** On every metrics tick while the actor has (or had) BPF objects: per-program totals. */
  | { type: 'bpf-stats'; programs: BpfProgramStat[]; time: number }
  | ActorHeartbeat
  | { type: 'cooldown'; id: number; op: 'check' | 'arm' | 'try-arm'; key: string; seconds: number }
  /** The samples the supervisor's look-back sampler holds for [fromMs, toMs) (the `before` profile). */
  | { type: 'lookback'; id: number; fromMs: number; toMs: number; cgroupId?: string }
  /** start() returned normally: the actor waits `interval` and calls it again. */
  | { type: 'start-returned'; nextStartInMs: number }
  /** Kernel support missing (or an invalid registration): do not restart. */
  | { type: 'unavailable'; error: SerializedError }
  /** An uncaught exception or unhandled rejection; the actor exits 1 right after. */
  | { type: 'fatal'; kind: 'uncaught-exception' | 'unhandled-rejection'; error: SerializedError }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> };

/**
 * Process isolation: every heartbeatMs, with the child's event-loop utilization and CPU time.
 * Thread isolation: once at boot (with the thread id) and then only in answer to a `ping`;
 * the supervisor reads a worker's utilization and CPU time itself (supervisor/liveness.ts).
 */
export interface ActorHeartbeat {
  type: 'heartbeat';
  time: number;
  elu?: number;
  cpuSeconds?: number;
  /** Kernel task id of a worker thread (boot heartbeat). */
  tid?: number;
}
