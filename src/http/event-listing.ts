// GET /api/v1/events, written so a big listing cannot stall the agent. Storage is asked in
// small chunks (each one a message from the storage thread, decoded on this thread), every
// document is serialized on its own and written as it comes, with backpressure, and the
// page ends at `limit` documents or at the byte budget (http.maxPageBytes), whichever comes
// first, with a cursor for the rest. Between chunks the event loop is free, so /healthz and
// /metrics answer while a listing streams.
import type { ServerResponse } from 'node:http';
import type { EventDocument } from '../event/index.js';
import type { EventQuery, SkippedRecord } from '../storage/protocol.js';
import { listedDocument, type ListingFields } from './event-fields.js';

export interface ListingSource {
  query(query: EventQuery): Promise<{ events: EventDocument[]; cursor?: string; skipped?: SkippedRecord[] }>;
}

export interface ListingOptions {
  fields: ListingFields;
  maxPageBytes: number;
}

/** Storage's own default page size, used when the query gives no limit. */
const defaultLimit = 100;
/** Documents per storage request: the first (sizes are unknown until one is seen) and the most. */
const firstChunk = 1;
const maxChunk = 256;
/** Aim for chunks of about this many serialized bytes... */
const chunkTargetBytes = 256 * 1024;
/**
 * ...and for storage requests of about this long: a summary document is small on the wire
 * but arrives whole from storage (profile included) and is decoded on this thread.
 */
const chunkTargetMs = 10;

export async function streamListing(res: ServerResponse, source: ListingSource, query: EventQuery, options: ListingOptions): Promise<void> {
  const limit = query.limit ?? defaultLimit;
  let cursor = query.cursor;
  let sent = 0;
  let bytes = 0;
  let chunk = firstChunk;
  let more = true;
  let headersWritten = false;
  // Records storage could not read (left out and counted there), reported after the data.
  const skipped: SkippedRecord[] = [];
  // The first chunk is fetched before the headers, so an error there (bad cursor, storage
  // down) is still an ordinary error reply; later errors can only cut the stream.
  while (more && sent < limit && bytes < options.maxPageBytes) {
    const ask = Math.min(chunk, limit - sent);
    const asked = performance.now();
    const page = await source.query({ ...query, limit: ask, ...(cursor !== undefined ? { cursor } : {}) });
    const queryMs = performance.now() - asked;
    if (!headersWritten) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      headersWritten = true;
      await write(res, '{"data":[');
    }
    if (page.skipped !== undefined) skipped.push(...page.skipped);
    let chunkBytes = 0;
    for (const doc of page.events) {
      const text = (sent > 0 ? ',' : '') + JSON.stringify(listedDocument(doc, options.fields));
      chunkBytes += text.length;
      sent++;
      await write(res, text);
    }
    bytes += chunkBytes;
    // Storage returns a cursor only for a full chunk: fewer documents means the end.
    cursor = page.cursor;
    more = cursor !== undefined && page.events.length === ask;
    // Next chunk: within the byte and time targets, and at most twice this one (sizes vary).
    const n = Math.max(1, page.events.length);
    const byBytes = Math.floor(chunkTargetBytes / Math.max(1, chunkBytes / n));
    const byTime = Math.floor(chunkTargetMs / Math.max(0.01, queryMs / n));
    chunk = Math.max(1, Math.min(maxChunk, byBytes, byTime, 2 * ask));
    // Yield between chunks even when the socket is not pushing back.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (res.destroyed) return;
  }
  const cursorPart = more && cursor !== undefined ? `,"cursor":${JSON.stringify(cursor)}` : '';
  const skippedPart = skipped.length > 0 ? `,"skipped":${JSON.stringify(skipped)}` : '';
  const tail = `]${cursorPart}${skippedPart}}`;
  await write(res, tail);
  res.end();
}

function write(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  if (res.write(text)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
