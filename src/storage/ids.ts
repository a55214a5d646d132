// tracer_id: `<stored ms, 13 digits>-<sequence, 12 digits>-<host tag>`.
// - sortable: lexical order = store order (time first, then the host-local sequence);
// - unique across restarts: the sequence is persisted in LMDB in the same commit as the
//   events, so a restart continues after the highest sequence ever committed;
// - unique across hosts: the host tag is random, created once per store and persisted;
// - deterministic per stored event: it is written inside the document, so a replay after a
//   crash re-sends the same ES `_id` (a 409 on `create` then means "already there").
import { randomBytes } from 'node:crypto';

const ID_PATTERN = /^(\d{13})-(\d{12})-([0-9a-f]{8})$/;

export function formatTracerId(storedMs: number, seq: number, hostTag: string): string {
  return `${String(storedMs).padStart(13, '0')}-${String(seq).padStart(12, '0')}-${hostTag}`;
}

export interface ParsedTracerId {
  storedMs: number;
  seq: number;
  hostTag: string;
}

export function parseTracerId(id: string): ParsedTracerId | undefined {
  const m = ID_PATTERN.exec(id);
  if (!m) return undefined;
  return { storedMs: Number(m[1]), seq: Number(m[2]), hostTag: m[3] as string };
}

export function newHostTag(): string {
  return randomBytes(4).toString('hex');
}
