// What a listing carries of each document. A CPU profile (flamedata + folded) can be tens of
// megabytes, and a listing of a hundred of them once took 430 MB and blocked the agent for
// seconds. Listings therefore leave bulky tracer_data fields out by default and name them
// in `omitted_fields`; `?fields=full` or GET /api/v1/events/:id gives the whole document.
import type { EventDocument } from '../event/index.js';

export type ListingFields = 'summary' | 'full';

/** Profile fields, bulky by construction (docs/flame.md). */
const bulkyKeys = new Set(['flamedata', 'folded']);
/** Any other tracer_data field whose JSON is larger than this is left out too. */
export const maxSummaryFieldBytes = 4096;

export type ListedDocument = EventDocument & { omitted_fields?: string[] };

function isBulky(key: string, value: unknown): boolean {
  if (bulkyKeys.has(key)) return true;
  if (typeof value === 'string') return value.length > maxSummaryFieldBytes;
  if (typeof value !== 'object' || value === null) return false;
  return JSON.stringify(value).length > maxSummaryFieldBytes;
}

/** The document without bulky tracer_data fields (the input is not modified). */
export function summaryDocument(doc: EventDocument): ListedDocument {
  const data = doc.tracer_data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return doc;
  const kept: Record<string, unknown> = {};
  const omitted: string[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (isBulky(key, value)) omitted.push(`tracer_data.${key}`);
    else kept[key] = value;
  }
  return omitted.length === 0 ? doc : { ...doc, tracer_data: kept, omitted_fields: omitted };
}

export function listedDocument(doc: EventDocument, fields: ListingFields): ListedDocument {
  return fields === 'full' ? doc : summaryDocument(doc);
}
