// Human views of a stored document (HUATUO's schema): a one-line summary of tracer_data for
// listings, and flattened `key  value` lines for `show`. tracer_data differs per tracer, so
// both walk it generically: scalars are shown, big arrays/objects are counted, not dumped.
import type { EventDocument } from '../event/index.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function scalar(v: unknown, maxLen: number): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') {
    // Multi-line text (folded stacks, logs) would break the one-line-per-field layout.
    const lines = v.split('\n').filter((l) => l !== '').length;
    if (lines > 1) return `<text, ${lines} lines>`;
    return v.length > maxLen ? `${v.slice(0, maxLen - 1)}…` : v;
  }
  return undefined;
}

/** `key=value` pairs of tracer_data's top-level scalars, e.g. `load1=0.52 reason=oncall`. */
export function summarizeData(data: unknown, max = 80): string {
  if (!isRecord(data)) return scalar(data, max) ?? '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    const s = scalar(v, 24);
    if (s !== undefined) parts.push(`${k}=${s}`);
  }
  const text = parts.join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The container column: its hostname, else a short id, else '-'. */
export function containerLabel(doc: EventDocument): string {
  if (doc.container_hostname !== '') return doc.container_hostname;
  if (doc.container_id !== '') return doc.container_id.slice(0, 12);
  return '-';
}

/** Flattened [path, value] lines, objects expanded up to `depth`, arrays summarised. */
export function flattenData(data: unknown, prefix = '', depth = 3): [string, string][] {
  const s = scalar(data, 200);
  if (s !== undefined) return [[prefix === '' ? '(value)' : prefix, s]];
  if (Array.isArray(data)) {
    if (data.length <= 5 && data.every((v) => scalar(v, 40) !== undefined)) return [[prefix, `[${data.map((v) => scalar(v, 40)).join(', ')}]`]];
    return [[prefix, `<${data.length} items>`]];
  }
  if (!isRecord(data)) return [[prefix, String(data)]];
  const entries = Object.entries(data);
  if (entries.length === 0) return [[prefix === '' ? '(value)' : prefix, '{}']];
  if (depth === 0) return [[prefix, `<object, ${entries.length} keys>`]];
  return entries.flatMap(([k, v]) => flattenData(v, prefix === '' ? k : `${prefix}.${k}`, depth - 1));
}

/** Does tracer_data look like it carries a CPU profile (what `flame` renders)? */
export function hasProfile(data: unknown): boolean {
  if (!isRecord(data)) return false;
  return (typeof data.folded === 'string' && data.folded.trim() !== '') || (Array.isArray(data.flamedata) && data.flamedata.length > 0);
}
