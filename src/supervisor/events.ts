// What the supervisor tells its observers (tests, benchmarks, metrics, the HTTP API's
// "stored" relay) about its tracers: the payload of Supervisor's 'tracer' event.
import type { EventInput } from '../event/index.js';
import type { ActorState, CrashReason } from './status.js';

export type TracerEvent =
  | { type: 'state'; tracer: string; state: ActorState; at: number }
  | { type: 'events'; tracer: string; events: EventInput[]; receivedAt: number }
  /** Storage acknowledged a batch of this tracer: its documents can be read by id now. */
  | { type: 'stored'; tracer: string; tracerIds: string[]; at: number }
  | { type: 'heartbeat'; tracer: string; time: number; receivedAt: number }
  | { type: 'crash'; tracer: string; reason: CrashReason; delayMs: number; action: 'restart' | 'disable'; at: number }
  | { type: 'log'; tracer: string; level: string; msg: string; fields?: Record<string, unknown> };
