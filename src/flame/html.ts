// The event page: the event's common fields, its tracer_data (large profile fields left out,
// long values cut) and the flame graph inlined as SVG. One self-contained HTML file: inline
// style and script, nothing fetched, every value escaped.
import type { FoldedStack } from '../capture/flamedata.js';
import type { EventDocument } from '../event/index.js';
import { escapeXml } from './escape.js';
import { renderFlameSvg, type SvgOptions } from './svg.js';
import { DIFF_NEUTRAL_POINTS } from './diff.js';

/** tracer_data keys shown as a summary only: they are the graph itself. */
const PROFILE_KEYS = new Set(['flamedata', 'folded']);
/** A value's JSON longer than this is cut (processes lists, stacks): the page stays readable. */
export const MAX_FIELD_CHARS = 4096;

const COMMON_FIELDS = [
  'tracer_name', 'tracer_id', 'tracer_time', 'tracer_type', 'hostname', 'region', 'uploaded_time',
  'container_id', 'container_hostname', 'container_type', 'container_qos',
] as const satisfies ReadonlyArray<keyof EventDocument>;

function valueCell(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '<td class="empty">—</td>' : `<td>${escapeXml(cut(value))}</td>`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return `<td>${escapeXml(String(value))}</td>`;
  const json = JSON.stringify(value, null, 2) ?? String(value);
  return `<td><pre>${escapeXml(cut(json))}</pre></td>`;
}

function cut(text: string): string {
  return text.length <= MAX_FIELD_CHARS ? text : `${text.slice(0, MAX_FIELD_CHARS)}\n… (${text.length - MAX_FIELD_CHARS} more characters)`;
}

/** The look-back profile: its facts, not its frames (they are drawn in the diff graph). */
function beforeSummary(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const { flamedata: _f, folded: _s, ...facts } = value as Record<string, unknown>;
  return `${JSON.stringify(facts)} (frames drawn in the differential graph below)`;
}

function profileSummary(key: string, value: unknown): string {
  if (Array.isArray(value)) return `${value.length} frames (drawn below)`;
  if (typeof value === 'string') return `${value.split('\n').filter((l) => l.trim() !== '').length} stacks (drawn below)`;
  return `${key}: ${typeof value}`;
}

export function renderEventHtml(doc: EventDocument, folded: readonly FoldedStack[], svgOptions: SvgOptions, before?: readonly FoldedStack[]): string {
  const { svg, tree } = renderFlameSvg(folded, { ...svgOptions, inline: true });
  const diff = before === undefined
    ? ''
    : [
        '<section class="graph diff"><h2>Before → after <small>the graph above, coloured by the change of each frame\'s share since the look-back window: ',
        `<span class="grew">red grew</span>, <span class="shrank">blue shrank</span> (±${DIFF_NEUTRAL_POINTS} points is neutral)</small></h2>`,
        renderFlameSvg(folded, { ...svgOptions, subtitle: `${svgOptions.subtitle ?? ''} · differential vs before`, inline: true, diffAgainst: before }).svg,
        '</section>',
      ].join('\n');
  const common = COMMON_FIELDS.map((k) => `<tr><th>${k}</th>${valueCell(doc[k])}</tr>`).join('\n');
  const data = typeof doc.tracer_data === 'object' && doc.tracer_data !== null && !Array.isArray(doc.tracer_data)
    ? Object.entries(doc.tracer_data as Record<string, unknown>)
    : [['tracer_data', doc.tracer_data] as [string, unknown]];
  const dataRows = data
    .map(([k, v]) =>
      PROFILE_KEYS.has(k)
        ? `<tr><th>${escapeXml(k)}</th><td class="empty">${escapeXml(profileSummary(k, v))}</td></tr>`
        : k === 'before' && before !== undefined
          ? `<tr><th>before</th><td>${escapeXml(cut(beforeSummary(v)))}</td></tr>`
          : `<tr><th>${escapeXml(k)}</th>${valueCell(v)}</tr>`)
    .join('\n');
  const title = `${doc.tracer_name} event ${doc.tracer_id}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // An empty inline icon: otherwise the browser asks the agent for /favicon.ico.
    '<link rel="icon" href="data:,">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head><body>',
    `<h1>${escapeXml(doc.tracer_name)} <span class="when">${escapeXml(doc.tracer_time)}</span></h1>`,
    '<section class="fields"><h2>Event</h2>',
    `<table class="common">\n${common}\n</table></section>`,
    '<section class="fields"><h2>tracer_data</h2>',
    `<table class="data">\n${dataRows}\n</table></section>`,
    `<section class="graph"><h2>Flame graph <small>${tree.total} samples, ${tree.frames.length} frames drawn${tree.omittedFrames > 0 ? `, ${tree.omittedFrames} too narrow left out` : ''}</small></h2>`,
    '<p class="help">Click a frame to zoom, "Reset zoom" (or Esc) to go back, Ctrl-F or / to search (text, or /regex/).</p>',
    svg,
    '</section>',
    diff,
    `<footer>autotracer · other formats: <code>autotracer flame ${escapeXml(doc.tracer_id)} --format folded|speedscope|pprof</code></footer>`,
    '</body></html>',
    '',
  ].join('\n');
}

const PAGE_STYLE = [
  'body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;background:#fff}',
  'h1{font-size:20px;margin:0 0 12px}h1 .when{color:#666;font-weight:normal}',
  'h2{font-size:16px;margin:18px 0 6px}h2 small{font-weight:normal;color:#666}',
  'table{border-collapse:collapse;max-width:100%}',
  'th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}',
  'th{background:#f4f4f4;font-weight:600;white-space:nowrap}',
  'td.empty{color:#888}',
  'pre{margin:0;max-height:20em;overflow:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}',
  '.graph svg{max-width:100%;height:auto;border:1px solid #ddd}',
  '.help{color:#555;margin:4px 0}',
  '.grew{color:#c00}.shrank{color:#00c}',
  'footer{margin-top:16px;color:#666;font-size:12px}',
].join('');
