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
  eventsSent: number;
  eventsStored: number;
  /** start() returned normally and was started again after `interval`. */
  normalReturns: number;
  heartbeatAgeMs: number | undefined;
  eventLoopUtilization: number;
  cpuSeconds: number;
  metrics: MetricSample[];
  metricsTime: number | undefined;
}

export function emptyReasonCounts(): Record<CrashReason, number> {
  return Object.fromEntries(crashReasons.map((r) => [r, 0])) as Record<CrashReason, number>;
}

export interface AgentStatus {
  startedAt: number;
  actors: ActorStatus[];
  mailbox: { queuedEvents: number; droppedEvents: number };
}
