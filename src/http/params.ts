// Query-string parsing for GET /api/v1/events and the watch stream: unknown parameters and
// malformed values are a 400 naming the parameter, never silently ignored.
import type { EventQuery } from '../storage/protocol.js';
import { HttpError } from './errors.js';
import type { ListingFields } from './event-fields.js';

const maxLimit = 10_000;

function bad(param: string, message: string): HttpError {
  return new HttpError(400, 'BAD_PARAM', `${param}: ${message}`);
}

function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw bad(name, 'given more than once');
  return all[0];
}

function rejectUnknown(params: URLSearchParams, allowed: readonly string[]): void {
  for (const key of params.keys()) if (!allowed.includes(key)) throw bad(key, `unknown parameter (allowed: ${allowed.join(', ')})`);
}

/** Milliseconds since the epoch, or an RFC 3339 / ISO 8601 time. */
export function parseTime(name: string, raw: string): number {
  if (/^\d{1,16}$/.test(raw)) return Number(raw);
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms)) throw bad(name, 'expected milliseconds since the epoch or an RFC 3339 time');
  return ms;
}

function text(name: string, raw: string | undefined, max = 256): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.length === 0 || raw.length > max) throw bad(name, `expected 1..${max} characters`);
  return raw;
}

export function parseEventQuery(params: URLSearchParams): EventQuery {
  rejectUnknown(params, ['from', 'to', 'tracer', 'container', 'limit', 'cursor', 'order', 'fields']);
  const q: EventQuery = {};
  const from = single(params, 'from');
  const to = single(params, 'to');
  if (from !== undefined) q.from = parseTime('from', from);
  if (to !== undefined) q.to = parseTime('to', to);
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw bad('from', 'must be before to');
  const tracer = text('tracer', single(params, 'tracer'), 63);
  if (tracer !== undefined) q.tracer = tracer;
  const container = text('container', single(params, 'container'));
  if (container !== undefined) q.containerId = container;
  const limit = single(params, 'limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > maxLimit) throw bad('limit', `expected an integer 1..${maxLimit}`);
    q.limit = Number(limit);
  }
  const cursor = text('cursor', single(params, 'cursor'), 512);
  if (cursor !== undefined) {
    if (!/^[A-Za-z0-9_\-.:=]+$/.test(cursor)) throw bad('cursor', 'not a cursor returned by this API');
    q.cursor = cursor;
  }
  const order = single(params, 'order');
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw bad('order', 'expected asc or desc');
  q.reverse = order !== 'asc';
  return q;
}

/** `fields=summary` (default: bulky tracer_data fields left out) or `fields=full`. */
export function parseListingFields(params: URLSearchParams): ListingFields {
  const fields = single(params, 'fields');
  if (fields === undefined || fields === 'summary') return 'summary';
  if (fields === 'full') return 'full';
  throw bad('fields', 'expected summary or full');
}

export interface WatchParams {
  tracer?: string;
  container?: string;
  includeData: boolean;
}

export function parseWatchParams(params: URLSearchParams): WatchParams {
  rejectUnknown(params, ['tracer', 'container', 'data']);
  const out: WatchParams = { includeData: false };
  const tracer = text('tracer', single(params, 'tracer'), 63);
  if (tracer !== undefined) out.tracer = tracer;
  const container = text('container', single(params, 'container'));
  if (container !== undefined) out.container = container;
  const data = single(params, 'data');
  if (data !== undefined) {
    if (data !== 'true' && data !== 'false') throw bad('data', 'expected true or false');
    out.includeData = data === 'true';
  }
  return out;
}
