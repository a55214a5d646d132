// The typed in-memory status and metrics model the supervisor keeps for every actor.
// The Prometheus issue reads it (one registry in the main thread, not per actor).
import type { SerializedError } from '../common/coded-error.js';
import type { Isolation } from '../actors/protocol.js';
import type { MetricSample } from '../actors/tracer-api.js';

export type ActorState = 'starting' | 'running' | 'restarting' | 'disabled' | 'unavailable' | 'stopped';

export const crashReasons = [
  'uncaught-exception',
  'unhandled-rejection',
  'exit',
  'oom',
  'hang',
  'signal',
  'start-timeout',
] as const;
export type CrashReason = (typeof crashReasons)[number];

export interface LastExit {
  at: number;
  reason: CrashReason | 'stopped' | 'unavailable';
  code: number | null;
  signal: string | null;
}

export interface ActorStatus {
  name: string;
  kind: 'tracer' | 'storage';
  state: ActorState;
  isolation: Isolation;
  pid: number | undefined;
  restarts: number;
  restartsByReason: Record<CrashReason, number>;
  lastExit: LastExit | undefined;
  lastError: SerializedError | undefined;
  /** Why it is unavailable or disabled. */
  stateReason: string | undefined;
  /** ms until the next (re)start when restarting or disabled. */
  nextStartAt: number | undefined;
  /** Cooldown arms granted (the tracer fired). */
  hits: number;
  /** Cooldown requests answered "not ready" (try-arm denied, check not ready): captures skipped. */
  cooldownSkips: number;
  /** Manual captures (Supervisor.trigger) that completed, from any client (API, CLI). */
  manualTriggers: number;
  eventsSent: number;
  eventsStored: number;
  /** start() returned normally and was started again after `interval`. */
  normalReturns: number;
  heartbeatAgeMs: number | undefined;
  eventLoopUtilization: number;
  cpuSeconds: number;
  metrics: MetricSample[];
  metricsTime: number | undefined;
  /** BPF run statistics per program, totals across the actor's restarts (empty for storage). */
  bpfPrograms: BpfProgramTotals[];
}

/** Run count and run time of one BPF program opened through ctx.loadBpf (monotonic totals). */
export interface BpfProgramTotals {
  object: string;
  program: string;
  runCount: number;
  runTimeNs: number;
  /** Kernel program id of the newest open instance (absent once closed); `autotracer cost` joins it with fdinfo. */
  id?: number;
}

/** The fields every fresh ActorStatus starts with (one place, so new fields are not forgotten). */
export function initialActorStatus(name: string, kind: ActorStatus['kind'], isolation: Isolation): ActorStatus {
  return {
    name, kind, state: 'stopped', isolation, pid: undefined, restarts: 0, restartsByReason: emptyReasonCounts(),
    lastExit: undefined, lastError: undefined, stateReason: undefined, nextStartAt: undefined, hits: 0, cooldownSkips: 0,
    manualTriggers: 0, eventsSent: 0, eventsStored: 0, normalReturns: 0, heartbeatAgeMs: undefined, eventLoopUtilization: 0,
    cpuSeconds: 0, metrics: [], metricsTime: undefined, bpfPrograms: [],
  };
}

export function emptyReasonCounts(): Record<CrashReason, number> {
  return Object.fromEntries(crashReasons.map((r) => [r, 0])) as Record<CrashReason, number>;
}

export interface AgentStatus {
  startedAt: number;
  actors: ActorStatus[];
  mailbox: { queuedEvents: number; droppedEvents: number };
}
