// An event's data as it travels: JSON text, made once by the tracer's ctx.save(), and the
// size limit both sides hold it to (the tracer side refuses with EVENT_TOO_LARGE, storage
// refuses an oversize input with STORAGE_INVALID_EVENT if one ever arrives).

/**
 * The largest event data storage accepts, as JSON (UTF-8 bytes). Bigger events cost memory
 * in three threads (tracer, supervisor, storage: a 300 MB event once kept 2 GB resident) and
 * make one LMDB commit and one _bulk request of their own. Flame graphs of a busy host are
 * well under 1 MB; ctx.save() refuses more with EVENT_TOO_LARGE (docs/faults.md#storage).
 */
export const MAX_EVENT_DATA_BYTES = 8 * 1024 * 1024;

/** UTF-8 size of a JSON text when it is above `max`, else undefined (cheap for small ones). */
export function oversizeJsonBytes(json: string, max = MAX_EVENT_DATA_BYTES): number | undefined {
  // A UTF-16 code unit is 1..3 UTF-8 bytes: only texts near the limit need measuring.
  if (json.length * 3 <= max) return undefined;
  const bytes = json.length > max ? json.length : Buffer.byteLength(json, 'utf8');
  return bytes > max ? bytes : undefined;
}

/**
 * The tracer-side half of an event: its data as JSON text. Throws (TypeError from JSON) when
 * the data is not JSON-safe, e.g. a BigInt or a cycle. `undefined` becomes `null`, so the
 * document always has the key.
 */
export function eventDataJson(data: unknown): string {
  const json = JSON.stringify(data) as string | undefined;
  return json === undefined ? 'null' : json;
}
