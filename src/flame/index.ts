// Flame graphs of stored events: one entry point per output format, shared by the HTTP API
// (flame.svg, flame.html) and the CLI (`autotracer flame <id> --format ...`). docs/flame.md.
import { formatFolded, type FoldedStack } from '../capture/flamedata.js';
import type { EventDocument } from '../event/index.js';
import { unknownFormat, type FlameFormat } from './formats.js';
import { beforeFoldedOfEvent, foldedOfEvent, profileMetaOf, type ProfileMeta } from './event-profile.js';
import { renderEventHtml } from './html.js';
import { toPprof } from './pprof.js';
import { toSpeedscope } from './speedscope.js';
import { renderFlameSvg, type SvgOptions } from './svg.js';

export { FlameError, type FlameErrorCode } from './errors.js';
export { beforeFoldedOfEvent, foldedOfEvent, foldedFromFlamedata, profileMetaOf, type ProfileMeta } from './event-profile.js';
export { frameDeltas, pathShares, diffColor, diffClass, DIFF_NEUTRAL_POINTS, type FrameDelta } from './diff.js';
export { renderFlameSvg, SVG_DEFAULTS, type SvgOptions } from './svg.js';
export { toSpeedscope, type SpeedscopeFile } from './speedscope.js';
export { toPprof } from './pprof.js';
export { flameHeaders, FLAME_CONTENT_SECURITY_POLICY } from './headers.js';
export { contentTypeOf, fileExtensionOf, FLAME_FORMATS, isFlameFormat, type FlameFormat } from './formats.js';

/** Label written for samples that had no frame at all (folded text cannot hold an empty stack). */
export const NO_FRAMES_LABEL = '[no frames]';

function titleOf(meta: ProfileMeta): SvgOptions {
  const container = meta.containerId !== '' ? ` · container ${meta.containerId.slice(0, 12)}` : '';
  const facts = [
    meta.frequency !== undefined ? `${meta.frequency} Hz` : '',
    meta.durationMs !== undefined ? `${(meta.durationMs / 1000).toFixed(1)} s` : '',
    `event ${meta.tracerId}`,
  ].filter((s) => s !== '');
  return { title: `${meta.tracerName} · ${meta.time}${container}`, subtitle: facts.join(' · ') };
}

/**
 * Renders an event. svg/html/folded/speedscope -> string (utf8); pprof -> Buffer (gzipped
 * protobuf, as `go tool pprof` reads). Throws FlameError FLAME_NO_PROFILE / FLAME_BAD_PROFILE
 * (from foldedOfEvent) and FLAME_BAD_FORMAT.
 */
export function renderEventFlame(doc: EventDocument, format: FlameFormat): string | Buffer {
  const folded = foldedOfEvent(doc);
  const meta = profileMetaOf(doc);
  switch (format) {
    case 'svg':
      return renderFlameSvg(folded, titleOf(meta)).svg;
    case 'html':
      return renderEventHtml(doc, folded, titleOf(meta), beforeFoldedOfEvent(doc));
    case 'folded':
      return formatFolded(folded.map((s): FoldedStack => (s.stack.length === 0 ? { stack: [NO_FRAMES_LABEL], count: s.count } : s)));
    case 'speedscope':
      return `${JSON.stringify(toSpeedscope(folded, `${meta.tracerName} ${meta.time} (${meta.tracerId})`))}\n`;
    case 'pprof':
      return toPprof(folded, meta);
    default:
      return unknownFormat(format);
  }
}
