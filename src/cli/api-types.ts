// The shapes the agent's API answers with (docs/http-api.md), as the CLI reads them.
import type { IsolateMemory } from '../common/memory-usage.js';

export interface TracerView {
  name: string;
  state: string;
  stateReason: string | null;
  running: boolean;
  isolation: string;
  pid: number | null;
  hits: number;
  cooldownSkips: number;
  manualTriggers: number;
  restarts: number;
  restartsByReason: Record<string, number>;
  eventsSent: number;
  eventsStored: number;
  heartbeatAgeMs: number | null;
  eventLoopUtilization: number;
  cpuSeconds: number;
  nextStartAt: number | null;
  lastExit: { at: number; reason: string; code: number | null; signal: string | null } | null;
  lastError: { code: string | null; name: string; message: string; stack: string | null } | null;
}

export interface Health {
  status: string;
  uptimeSeconds: number;
}

export interface Readiness {
  ready: boolean;
  notReady: { name: string; kind: string; state: string; reason: string | null }[];
  /** Absent from agents older than the storage readiness model. */
  storage?: { state: 'ok' | 'degraded' | 'down'; reason?: string; code?: string; since?: string };
}

/** One isolate's memory (bytes); processRss is the whole process's RSS. */
export type IsolateMemoryView = IsolateMemory;

/** GET /api/v1/status/memory */
export interface MemoryStatus {
  main: IsolateMemoryView | null;
  lookback: ({ state: string; reason?: string } & Record<string, unknown>) | null;
  actors: Array<{ name: string; kind: string; isolation: string; state: string; memory: IsolateMemoryView | null }>;
}
