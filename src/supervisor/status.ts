// The typed in-memory status and metrics model the supervisor keeps for every actor.
// The Prometheus issue reads it (one registry in the main thread, not per actor).
import type { SerializedError } from '../common/coded-error.js';
import type { Isolation } from '../actors/protocol.js';
import type { MetricSample } from '../actors/tracer-api.js';
import type { IsolateMemory } from '../common/memory-usage.js';
import type { LookbackStatus } from './lookback-host.js';

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
  /** The actor isolate's last memory report (undefined before the first, and for storage). */
  memory: IsolateMemory | undefined;
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
    cpuSeconds: 0, metrics: [], metricsTime: undefined, bpfPrograms: [], memory: undefined,
  };
}

export function emptyReasonCounts(): Record<CrashReason, number> {
  return Object.fromEntries(crashReasons.map((r) => [r, 0])) as Record<CrashReason, number>;
}

export type StorageWriteFailureReason = 'disk_full' | 'write_failed';

/** Whether the storage actor can write, apart from whether it runs (supervisor/storage-child.ts). */
export interface StorageHealth {
  /** Null while writes succeed; else why they fail, since when (ms since the epoch). */
  degraded: { reason: 'disk full' | 'write failed'; code: string; message: string; since: number } | null;
  /** Batches storage could not write, by reason (each was held and retried, not lost). */
  writeFailures: Record<StorageWriteFailureReason, number>;
}

export interface AgentStatus {
  startedAt: number;
  actors: ActorStatus[];
  mailbox: { queuedEvents: number; droppedEvents: number };
  /** Absent only in test doubles that predate it. */
  storage?: StorageHealth;
  /** The main thread's isolate (supervisor, HTTP, metrics) and the process's RSS (optional for test doubles). */
  main?: IsolateMemory;
  lookback?: LookbackStatus;
}
