// Builds the stored/shipped document from what a tracer handed over. The key set is
// HUATUO's schema (snake_case) and is pinned by test/storage/document.test.ts.
import type { EventDocument, EventInput, TracerType } from './protocol.js';
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

export function buildDocument(input: EventInput, ctx: DocumentContext): EventDocument {
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
    // undefined would vanish in JSON and msgpack alike; null keeps the key present.
    tracer_data: input.data === undefined ? null : input.data,
  };
}

const TRACER_TYPES: ReadonlySet<TracerType> = new Set<TracerType>(['autotracing', 'event', 'manual']);

/** Checks one input coming over the worker boundary (it is not type-checked there). */
export function validateEventInput(value: unknown, index: number): asserts value is EventInput {
  if (typeof value !== 'object' || value === null) throw new InvalidEventError(index, 'not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.tracerName !== 'string' || v.tracerName === '') throw new InvalidEventError(index, 'tracerName must be a non-empty string');
  if (typeof v.tracerType !== 'string' || !TRACER_TYPES.has(v.tracerType as TracerType)) {
    throw new InvalidEventError(index, `tracerType must be one of ${[...TRACER_TYPES].join(', ')}`);
  }
  if (typeof v.time !== 'number' || !Number.isFinite(v.time) || v.time < 0 || v.time > 8.64e15) {
    throw new InvalidEventError(index, 'time must be ms since the epoch');
  }
  if (v.container !== undefined) {
    const c = v.container as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || typeof c.id !== 'string') throw new InvalidEventError(index, 'container.id must be a string');
    for (const k of ['hostname', 'type', 'qos'] as const) {
      if (c[k] !== undefined && typeof c[k] !== 'string') throw new InvalidEventError(index, `container.${k} must be a string`);
    }
  }
}
