// Builds the stored/shipped document from what a tracer handed over. The key set is
// HUATUO's schema (snake_case) and is pinned by test/storage/document.test.ts.
import { MAX_EVENT_DATA_BYTES, oversizeJsonBytes, type EventDocument, type EventInput, type TracerType } from '../event/index.js';
import { InvalidEventError } from './errors.js';

export interface DocumentContext {
  hostname: string;
  region: string;
  /** When the storage actor stored the event, ms since epoch. */
  storedMs: number;
  /** rfc3339(storedMs), when the caller already has it (one per batch, not one per event). */
  uploadedTime?: string;
  tracerId: string;
}

/** RFC 3339 with milliseconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** Every document field but tracer_data, in the schema's order (tracer_data comes last). */
export type DocumentHead = Omit<EventDocument, 'tracer_data'>;

export function buildDocumentHead(input: Omit<EventInput, 'dataJson'>, ctx: DocumentContext): DocumentHead {
  const c = input.container;
  return {
    hostname: ctx.hostname,
    region: ctx.region,
    uploaded_time: ctx.uploadedTime ?? rfc3339(ctx.storedMs),
    container_id: c?.id ?? '',
    container_hostname: c?.hostname ?? '',
    container_type: c?.type ?? '',
    container_qos: c?.qos ?? '',
    tracer_name: input.tracerName,
    tracer_id: ctx.tracerId,
    tracer_time: rfc3339(input.time),
    tracer_type: input.tracerType,
    capture_started: input.captureStarted !== undefined ? rfc3339(input.captureStarted) : null,
    capture_ended: input.captureEnded !== undefined ? rfc3339(input.captureEnded) : null,
  };
}

/** The stored and shipped JSON: the head's fields, then tracer_data spliced in as text. */
export function documentJson(head: DocumentHead, dataJson: string): string {
  const json = JSON.stringify(head);
  return `${json.slice(0, -1)},"tracer_data":${dataJson}}`;
}

// Both strings are parts of LMDB index keys, and a key over LMDB's limit (1978 bytes in lmdb-js)
// would fail in the middle of a batch's puts. In UTF-8 these lengths stay well under it.
const MAX_TRACER_NAME = 256;
const MAX_CONTAINER_ID = 512;

const TRACER_TYPES: ReadonlySet<TracerType> = new Set<TracerType>(['autotracing', 'event', 'manual']);

/** Checks one input coming over the worker boundary (it is not type-checked there). */
export function validateEventInput(value: unknown, index: number): asserts value is EventInput {
  if (typeof value !== 'object' || value === null) throw new InvalidEventError(index, 'not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.tracerName !== 'string' || v.tracerName === '') throw new InvalidEventError(index, 'tracerName must be a non-empty string');
  if (v.tracerName.length > MAX_TRACER_NAME) throw new InvalidEventError(index, `tracerName is longer than ${MAX_TRACER_NAME} characters`);
  if (typeof v.tracerType !== 'string' || !TRACER_TYPES.has(v.tracerType as TracerType)) {
    throw new InvalidEventError(index, `tracerType must be one of ${[...TRACER_TYPES].join(', ')}`);
  }
  if (typeof v.time !== 'number' || !Number.isFinite(v.time) || v.time < 0 || v.time > 8.64e15) {
    throw new InvalidEventError(index, 'time must be ms since the epoch');
  }
  for (const k of ['captureStarted', 'captureEnded'] as const) {
    const t = v[k];
    if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 8.64e15)) throw new InvalidEventError(index, `${k} must be ms since the epoch`);
  }
  if ((v.captureStarted === undefined) !== (v.captureEnded === undefined)) throw new InvalidEventError(index, 'captureStarted and captureEnded go together');
  if (typeof v.captureStarted === 'number' && typeof v.captureEnded === 'number' && v.captureEnded < v.captureStarted) {
    throw new InvalidEventError(index, 'captureEnded is before captureStarted');
  }
  // Only the actor runtime makes dataJson (eventDataJson), so it is JSON by construction; a
  // full parse here would cost as much as the encoding it saves.
  if (typeof v.dataJson !== 'string' || v.dataJson === '') throw new InvalidEventError(index, 'dataJson must be the JSON text of the data');
  const oversize = oversizeJsonBytes(v.dataJson);
  if (oversize !== undefined) throw new InvalidEventError(index, `the data is ${oversize} bytes of JSON, above the limit of ${MAX_EVENT_DATA_BYTES}`);
  if (v.container !== undefined) {
    const c = v.container as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || typeof c.id !== 'string') throw new InvalidEventError(index, 'container.id must be a string');
    if (c.id.length > MAX_CONTAINER_ID) throw new InvalidEventError(index, `container.id is longer than ${MAX_CONTAINER_ID} characters`);
    for (const k of ['hostname', 'type', 'qos'] as const) {
      if (c[k] !== undefined && typeof c[k] !== 'string') throw new InvalidEventError(index, `container.${k} must be a string`);
    }
  }
}
