// The contract between the supervisor (main thread) and the storage actor (its own
// worker thread, the only LMDB writer). Tracer actors never talk to LMDB: their event
// batches reach the storage actor through the supervisor, which relays the durability
// acknowledgement back. Every message is a plain object (structured-clone and JSON safe).
// The events themselves (EventInput in, EventDocument out) are the event contract, src/event/.
import type { SerializedError } from '../common/coded-error.js';
import type { EventDocument, EventInput } from '../event/index.js';

export interface EventQuery {
  /** Inclusive lower bound, ms since epoch. */
  from?: number;
  /** Exclusive upper bound, ms since epoch. */
  to?: number;
  tracer?: string;
  containerId?: string;
  limit?: number;
  /** Opaque cursor returned by a previous query. */
  cursor?: string;
  /** Newest first when true (the default for listings). */
  reverse?: boolean;
}

/** A stored record a listing could not read or decode: left out of the page and counted. */
export interface SkippedRecord {
  /** The store's sequence number (the middle part of the tracer_id). */
  seq: number;
  /** When the record's header still reads. */
  tracerId?: string;
  reason: string;
}

/** A persisted cooldown: `key` is '' for a tracer-global cooldown, else e.g. a container id. */
export interface CooldownEntry {
  tracer: string;
  key: string;
  /** ms since epoch of the last trigger. */
  lastFired: number;
  /** ms since epoch before which the tracer must not fire again for this key. */
  until: number;
}

// ---- supervisor → storage actor ---------------------------------------------------
export type StorageRequest =
  | { type: 'store'; reqId: number; events: EventInput[] }
  | { type: 'query'; reqId: number; query: EventQuery }
  | { type: 'get'; reqId: number; tracerId: string }
  | { type: 'ledger-load'; reqId: number }
  | { type: 'ledger-put'; reqId: number; entries: CooldownEntry[] }
  /** Its loop showed no idle time: answer with a heartbeat (supervisor/liveness.ts). */
  | { type: 'ping' }
  | { type: 'stop' };

// ---- storage actor → supervisor ---------------------------------------------------
export type StorageReply =
  | { type: 'ready' }
  | { type: 'unavailable'; error: SerializedError }
  | { type: 'stored'; reqId: number; tracerIds: string[] }
  | { type: 'query-result'; reqId: number; events: EventDocument[]; cursor?: string; skipped?: SkippedRecord[] }
  | { type: 'get-result'; reqId: number; event?: EventDocument }
  | { type: 'ledger'; reqId: number; entries: CooldownEntry[] }
  | { type: 'ledger-stored'; reqId: number }
  | { type: 'failed'; reqId: number; error: SerializedError }
  /** Once at boot (with the thread id), then only in answer to a `ping`. */
  | { type: 'heartbeat'; time: number; tid?: number }
  | { type: 'metrics'; metrics: StorageMetrics }
  | { type: 'stopped' };

/** Counters are totals since the actor started; the main thread turns them into deltas. */
export interface StorageMetrics {
  eventsStored: number;
  batchesWritten: number;
  /** Write latency observations since the last report, seconds. */
  writeLatencySeconds: number[];
  lmdbSizeBytes: number;
  backlogEvents: number;
  /** Age of the oldest unshipped event, seconds (0 when none). */
  backlogAgeSeconds: number;
  shipped: number;
  retried: number;
  deadLettered: number;
  evicted: number;
  evictedBeforeShipped: number;
  /** Records listings could not read and left out (each time one was met). */
  corruptRecordsSkipped: number;
}
