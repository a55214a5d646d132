// `autotracer show <id>`: one stored event, every field; tracer_data flattened.
import type { EventDocument } from '../../event/index.js';
import type { GlobalOptions } from '../context.js';
import { flattenData, hasProfile } from '../document-view.js';
import { CliError, ExitCode } from '../errors.js';
import { openEventSource } from '../event-source.js';
import { writeOut } from '../output.js';
import { escapeControlChars } from '../../common/control-chars.js';

export const unknownEventHint = '`autotracer events` lists stored events and their ids';

export async function fetchEvent(globals: GlobalOptions, id: string, db: string | undefined): Promise<EventDocument> {
  const source = await openEventSource(globals, db);
  try {
    const doc = await source.get(id);
    if (doc === undefined) throw new CliError('CLI_NOT_FOUND', `no event with id "${id}" in ${source.where}`, unknownEventHint);
    return doc;
  } finally {
    await source.close();
  }
}

export function renderEventText(doc: EventDocument): string {
  const head: [string, string][] = [
    ['tracer_id', doc.tracer_id],
    ['tracer_name', doc.tracer_name],
    ['tracer_type', doc.tracer_type],
    ['tracer_time', doc.tracer_time],
    ['uploaded_time', doc.uploaded_time],
    ['hostname', doc.hostname],
    ['region', doc.region === '' ? '-' : doc.region],
    ['container_id', doc.container_id === '' ? '-' : doc.container_id],
  ];
  if (doc.container_id !== '') {
    head.push(['container_hostname', doc.container_hostname], ['container_type', doc.container_type], ['container_qos', doc.container_qos]);
  }
  const data = flattenData(doc.tracer_data).map(([k, v]): [string, string] => [`tracer_data.${k}`, v]);
  // Every value may come from the host (comm, hostname, reason): no raw control characters.
  const rows = [...head, ...data].map(([k, v]): [string, string] => [escapeControlChars(k), escapeControlChars(v)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  let out = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
  if (hasProfile(doc.tracer_data)) out += `\nflame graph: autotracer flame ${doc.tracer_id} --format html -o ${doc.tracer_id}.html\n`;
  return out;
}

export async function runShow(globals: GlobalOptions, id: string, opts: { format: 'table' | 'json'; db?: string }): Promise<number> {
  const doc = await fetchEvent(globals, id, opts.db);
  await writeOut(opts.format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : renderEventText(doc));
  return ExitCode.ok;
}
