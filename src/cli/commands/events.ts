// `autotracer events`: stored events by tracer, container and time, from the agent or
// (--db) straight from its LMDB. Newest first; `--all` follows the cursor to the end.
import type { EventDocument } from '../../event/index.js';
import type { EventQuery } from '../../storage/protocol.js';
import type { GlobalOptions } from '../context.js';
import { containerLabel, summarizeData } from '../document-view.js';
import { ExitCode, usageError } from '../errors.js';
import { openEventSource } from '../event-source.js';
import { startProgress, writeOut } from '../output.js';
import { renderTable, type Column } from '../table.js';
import { parseTimeArg } from '../time.js';

export type EventsFormat = 'table' | 'json' | 'ndjson';

export interface EventsOptions {
  tracer?: string;
  container?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
  all: boolean;
  order: 'asc' | 'desc';
  format: EventsFormat;
  db?: string;
  /** Whole documents (profiles included); listings leave bulky tracer_data fields out. */
  full?: boolean;
}

const columns: Column<EventDocument>[] = [
  { header: 'ID', value: (d) => d.tracer_id },
  { header: 'TIME', value: (d) => d.tracer_time },
  { header: 'TRACER', value: (d) => d.tracer_name },
  { header: 'TYPE', value: (d) => d.tracer_type },
  { header: 'CONTAINER', value: containerLabel, max: 24 },
  { header: 'DATA', value: (d) => summarizeData(d.tracer_data, 70) },
];

export function buildQuery(opts: EventsOptions, now = Date.now()): EventQuery {
  const q: EventQuery = { limit: opts.limit, reverse: opts.order !== 'asc' };
  if (opts.since !== undefined) q.from = parseTimeArg('--since', opts.since, now);
  if (opts.until !== undefined) q.to = parseTimeArg('--until', opts.until, now);
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw usageError(`--since ${opts.since} is not before --until ${opts.until}`);
  if (opts.tracer !== undefined) q.tracer = opts.tracer;
  if (opts.container !== undefined) q.containerId = opts.container;
  if (opts.cursor !== undefined) q.cursor = opts.cursor;
  return q;
}

export async function runEvents(globals: GlobalOptions, opts: EventsOptions): Promise<number> {
  const query = buildQuery(opts);
  const source = await openEventSource(globals, opts.db);
  const progress = opts.all ? startProgress('fetching events') : undefined;
  try {
    const collected: EventDocument[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let count = 0;
    let skipped = 0;
    for (;;) {
      const page = await source.query(cursor === undefined ? query : { ...query, cursor }, opts.full === true ? 'full' : 'summary');
      pages++;
      count += page.events.length;
      cursor = page.cursor;
      // A damaged record is left out of the page, not fatal: say which, on stderr.
      for (const s of page.skipped ?? []) {
        skipped++;
        process.stderr.write(`skipped an unreadable record: seq ${s.seq}${s.tracerId !== undefined ? ` (${s.tracerId})` : ''}: ${s.reason}\n`);
      }
      // ndjson streams page by page: `--all` over a large store needs no memory for it.
      if (opts.format === 'ndjson') {
        if (page.events.length > 0) await writeOut(page.events.map((e) => `${JSON.stringify(e)}\n`).join(''));
      } else {
        collected.push(...page.events);
      }
      progress?.update(`${pages} page${pages > 1 ? 's' : ''}, ${count} events`);
      if (!opts.all || cursor === undefined) break;
    }
    progress?.done();
    switch (opts.format) {
      case 'ndjson':
        break;
      case 'json':
        await writeOut(`${JSON.stringify(collected, null, 2)}\n`);
        break;
      case 'table':
        await writeOut(collected.length === 0 ? '' : renderTable(columns, collected));
        if (collected.length === 0) process.stderr.write(`no events match (from ${source.where})\n`);
        break;
      default: {
        const never: never = opts.format;
        return never;
      }
    }
    // The cursor goes to stderr so stdout stays a clean table/JSON/NDJSON stream.
    if (!opts.all && cursor !== undefined) process.stderr.write(`more events: add --cursor ${cursor} for the next page, or --all\n`);
    if (skipped > 0) process.stderr.write(`${skipped} unreadable record(s) skipped; \`autotracer store check --db <dir>\` lists them\n`);
  } finally {
    progress?.done();
    await source.close();
  }
  return ExitCode.ok;
}
