// Writing responses: the success envelope {data}, the error envelope {error:{code,message}},
// and the mapping from errors raised below the API (supervisor, actors, storage) to HTTP
// statuses. Their stable codes pass through unchanged so clients see one vocabulary.
import type { ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function sendData(res: ServerResponse, status: number, data: unknown, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { data, ...extra });
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204, { 'cache-control': 'no-store' });
  res.end();
}

/** Codes raised by the supervisor, the actor runtime and storage, with their HTTP status. */
const passthrough: Record<string, number> = {
  UNKNOWN_TRACER: 404,
  TRACER_NOT_RUNNING: 409,
  TRACER_ALREADY_RUNNING: 409,
  TRIGGER_BUSY: 409,
  TRIGGER_UNSUPPORTED: 501,
  TRACER_BAD_CONFIG: 400,
  CALL_TIMEOUT: 504,
  ACTOR_EXITED: 503,
  SUPERVISOR_STOPPED: 503,
  STORAGE_UNAVAILABLE: 503,
  STORAGE_OVER_BUDGET: 503,
  STORAGE_REQUEST_FAILED: 503,
  MAILBOX_DROPPED: 503,
  STORAGE_BAD_CURSOR: 400,
  STORAGE_CLOSED: 503,
  SAVE_FAILED: 500,
  SAVE_ABORTED: 503,
};

export interface ErrorReply {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
}

export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined && passthrough[code] !== undefined) return { status: passthrough[code], code, message, headers: {} };
  // Anything else is our bug or an unexpected failure: do not echo internals to the client.
  return { status: 500, code: 'INTERNAL', message: 'internal error (see the agent log)', headers: {} };
}

export function sendError(res: ServerResponse, reply: ErrorReply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, reply.status, { error: { code: reply.code, message: reply.message } }, reply.headers);
}
