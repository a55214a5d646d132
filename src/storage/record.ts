// How one event is stored in the `events` database: a tiny header and the document as the
// exact JSON bytes that are shipped. Storing JSON (not msgpack) means the shipper never
// decodes and re-serialises a document: it reads bytes and writes them into the _bulk body.
//
//   u8  tracer_id length | tracer_id (ASCII) | 10 bytes "YYYY.MM.DD" (tracer_time, UTC) | JSON
import type { EventDocument } from '../event/index.js';
import type { DocumentHead } from './document.js';

export interface RecordView {
  tracerId: string;
  /** "YYYY.MM.DD" of tracer_time, for the daily index name. */
  day: string;
  json: Buffer;
}

/** `json` is the whole document (document.ts documentJson); the header comes from its head. */
export function encodeRecord(head: Pick<DocumentHead, 'tracer_id' | 'tracer_time'>, json: string): Buffer {
  const t = head.tracer_time;
  // One string, one UTF-8 pass: the length byte (< 128) and the header are ASCII.
  return Buffer.from(`${String.fromCharCode(head.tracer_id.length)}${head.tracer_id}${t.slice(0, 4)}.${t.slice(5, 7)}.${t.slice(8, 10)}${json}`, 'utf8');
}

export function viewRecord(buf: Buffer): RecordView {
  const idLen = buf[0] ?? 0;
  return {
    tracerId: buf.toString('latin1', 1, 1 + idLen),
    day: buf.toString('latin1', 1 + idLen, 11 + idLen),
    json: buf.subarray(11 + idLen),
  };
}

export function decodeRecord(buf: Buffer): EventDocument {
  const idLen = buf[0] ?? 0;
  return JSON.parse(buf.toString('utf8', 11 + idLen)) as EventDocument;
}
