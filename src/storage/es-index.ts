// Elasticsearch naming and mappings: daily indices `<prefix>-YYYY.MM.DD` by tracer_time (UTC)
// and one index template with explicit mappings for the common fields, so the first event
// of a day does not create an index with guessed (dynamic) types.
import type { EventDocument } from '../event/index.js';

export function dailyIndexName(prefix: string, tracerTime: string): string {
  // tracer_time is our own RFC 3339 UTC string: "YYYY-MM-DDTHH:MM:SS.mmmZ".
  return `${prefix}-${tracerTime.slice(0, 4)}.${tracerTime.slice(5, 7)}.${tracerTime.slice(8, 10)}`;
}

export function templateName(prefix: string): string {
  return `${prefix}-events`;
}

type FieldMapping = { type: 'keyword' } | { type: 'date'; format: string } | { type: 'object'; dynamic: boolean };

export const COMMON_FIELD_MAPPINGS = {
  hostname: { type: 'keyword' },
  region: { type: 'keyword' },
  uploaded_time: { type: 'date', format: 'strict_date_optional_time' },
  container_id: { type: 'keyword' },
  container_hostname: { type: 'keyword' },
  container_type: { type: 'keyword' },
  container_qos: { type: 'keyword' },
  tracer_name: { type: 'keyword' },
  tracer_id: { type: 'keyword' },
  tracer_time: { type: 'date', format: 'strict_date_optional_time' },
  tracer_type: { type: 'keyword' },
  capture_started: { type: 'date', format: 'strict_date_optional_time' },
  capture_ended: { type: 'date', format: 'strict_date_optional_time' },
  // Tracer payloads vary per tracer; keep them dynamic so new fields are still indexed.
  tracer_data: { type: 'object', dynamic: true },
} as const satisfies Record<keyof EventDocument, FieldMapping>;

export function indexTemplateBody(prefix: string): {
  index_patterns: string[];
  priority: number;
  template: { mappings: { dynamic: boolean; properties: typeof COMMON_FIELD_MAPPINGS } };
  _meta: Record<string, string>;
} {
  return {
    index_patterns: [`${prefix}-*`],
    priority: 200,
    template: { mappings: { dynamic: true, properties: COMMON_FIELD_MAPPINGS } },
    _meta: { managed_by: 'autotracer' },
  };
}
