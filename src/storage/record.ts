// How one event is stored in the `events` database: a tiny header and the document as the
// exact JSON bytes that are shipped. Storing JSON (not msgpack) means the shipper never
// decodes and re-serialises a document: it reads bytes and writes them into the _bulk body.
//
//   u8  tracer_id length | tracer_id (ASCII) | 10 bytes "YYYY.MM.DD" (tracer_time, UTC) | JSON
import type { EventDocument } from './protocol.js';

export interface RecordView {
  tracerId: string;
  /** "YYYY.MM.DD" of tracer_time, for the daily index name. */
  day: string;
  json: Buffer;
}

export function encodeRecord(doc: EventDocument): Buffer {
  const json = JSON.stringify(doc);
  const idLen = doc.tracer_id.length;
  const t = doc.tracer_time;
  const header = `${doc.tracer_id}${t.slice(0, 4)}.${t.slice(5, 7)}.${t.slice(8, 10)}`;
  const buf = Buffer.allocUnsafe(1 + header.length + Buffer.byteLength(json));
  buf[0] = idLen;
  buf.write(header, 1, 'latin1');
  buf.write(json, 1 + header.length, 'utf8');
  return buf;
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
