// The interactive flame graph as one self-contained SVG: inline <style> and <script>, no
// network. Root at the bottom (flamegraph.pl's classic orientation), one <g class="f"> per
// frame with a <title> tooltip, a rect sized by samples and a label truncated to fit. The
// script (viewer-script.ts) zooms on click, resets, and searches with a box in a
// <foreignObject> (Ctrl-F focuses it) that highlights matches and shows the matched percent.
import type { FoldedStack } from '../capture/flamedata.js';
import { escapeXml } from './escape.js';
import { diffClass, diffColor, frameDeltas } from './diff.js';
import { layoutFolded, type FrameKind, type LaidTree } from './tree.js';
import { VIEWER_SCRIPT } from './viewer-script.js';

export interface SvgOptions {
  /** Main title line (tracer, time, ...); the sample count is appended. */
  title: string;
  /** Second line (capture facts). */
  subtitle?: string;
  /** Total drawing width in px (default 1200). */
  width?: number;
  /** Frames narrower than this many px at full scale are left out (default 0.1, as flamegraph.pl). */
  minWidthPx?: number;
  /** Hard cap on frames drawn, the widest kept (default 20000: about 4 MB of SVG). */
  maxFrames?: number;
  /** Omit the XML declaration (for inlining in HTML). */
  inline?: boolean;
  /**
   * Differential view: colour each frame by the change of its share since these stacks
   * (the event's `before`): red grew, blue shrank. The shape is still the profile's own.
   */
  diffAgainst?: readonly FoldedStack[];
}

export const SVG_DEFAULTS = { width: 1200, minWidthPx: 0.1, maxFrames: 20_000 } as const;

const PAD = 10;
const FRAME_H = 16;
const FONT_SIZE = 12;
/** Average glyph width / font size for Verdana-like fonts: how many characters fit. */
const FONT_WIDTH = 0.59;
const TEXT_PAD = 3;
const TOP = 66;
const BOTTOM = 34;

/** Same rule as the viewer script's fit(): what the label looks like in a frame `width` px wide. */
export function fitLabel(label: string, width: number): string {
  const chars = Math.floor((width - 2 * TEXT_PAD) / (FONT_SIZE * FONT_WIDTH));
  if (chars < 3) return '';
  return label.length <= chars ? label : `${label.slice(0, chars - 2)}..`;
}

/** FNV-1a of the label mapped to [0,1): the same function gets the same shade in every graph. */
function shade(label: string, salt: number): number {
  let h = 0x811c9dc5 ^ salt;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000;
}

export function frameColor(kind: FrameKind, label: string): string {
  const v1 = shade(label, 1);
  const v2 = shade(label, 2);
  const rgb = (r: number, g: number, b: number): string => `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
  switch (kind) {
    case 'kernel': // orange, as flamegraph.pl colours kernel frames in mixed stacks
      return rgb(235 + 20 * v1, 150 + 50 * v2, 20 + 30 * v1);
    case 'user': // reds, as flamegraph.pl colours user code in mixed stacks
      return rgb(200 + 55 * v1, 40 + 80 * v2, 40 + 30 * v1);
    case 'process':
      return rgb(90 + 50 * v1, 160 + 50 * v1, 215 + 40 * v2);
    case 'other':
      return rgb(175 + 40 * v1, 175 + 40 * v1, 185 + 40 * v1);
  }
}

export function percentOf(value: number, total: number): string {
  return total === 0 ? '0' : ((100 * value) / total).toFixed(2).replace(/\.?0+$/, '');
}

export interface RenderedSvg {
  svg: string;
  tree: LaidTree;
}

export function renderFlameSvg(folded: readonly FoldedStack[], options: SvgOptions): RenderedSvg {
  const width = options.width ?? SVG_DEFAULTS.width;
  const graphWidth = width - 2 * PAD;
  const tree = layoutFolded(folded, { widthPx: graphWidth, minWidthPx: options.minWidthPx ?? SVG_DEFAULTS.minWidthPx, maxFrames: options.maxFrames ?? SVG_DEFAULTS.maxFrames });
  const { total } = tree;
  const height = TOP + (tree.maxDepth + 1) * FRAME_H + BOTTOM;
  const scale = total === 0 ? 0 : graphWidth / total;
  const config = { width: graphWidth, pad: PAD, fontSize: FONT_SIZE, fontWidth: FONT_WIDTH, textPad: TEXT_PAD, total };

  const out: string[] = [];
  if (options.inline !== true) out.push('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="flame" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" `,
    `data-flame="${escapeXml(JSON.stringify(config))}" data-total="${total}" data-frames="${tree.frames.length}" data-omitted="${tree.omittedFrames}">\n`,
    `<style>${STYLE}</style>\n`,
    `<rect class="bg" x="0" y="0" width="${width}" height="${height}"/>\n`,
    `<text class="title" x="${width / 2}" y="22">${escapeXml(`${options.title} · ${total} sample${total === 1 ? '' : 's'}`)}</text>\n`,
  );
  const notes = [options.subtitle ?? '', tree.omittedFrames > 0 ? `${tree.omittedFrames} of ${tree.allFrames} frames too narrow to draw (< ${options.minWidthPx ?? SVG_DEFAULTS.minWidthPx} px) left out` : '']
    .filter((s) => s !== '')
    .join(' · ');
  out.push(`<text class="sub" x="${width / 2}" y="40">${escapeXml(notes)}</text>\n`);
  out.push(`<text class="reset h" x="${PAD}" y="58">Reset zoom</text>\n`);
  out.push(
    `<foreignObject x="${width - PAD - 260}" y="44" width="260" height="22">`,
    `<input xmlns="http://www.w3.org/1999/xhtml" class="search" type="search" placeholder="Search (Ctrl-F) — text or /regex/" aria-label="search frames"/>`,
    `</foreignObject>\n`,
  );
  out.push(`<text class="details" x="${PAD}" y="${height - 12}"> </text>\n`);
  out.push(`<text class="matched" x="${width - PAD}" y="${height - 12}"></text>\n`);
  out.push('<g class="frames">\n');
  const deltas = options.diffAgainst === undefined ? undefined : frameDeltas(tree.frames, total, options.diffAgainst);
  for (const [i, f] of tree.frames.entries()) {
    const delta = deltas?.[i];
    const x = PAD + f.start * scale;
    const w = f.value * scale;
    const y = height - BOTTOM - (f.depth + 1) * FRAME_H;
    const label = f.label;
    const change = delta === undefined ? '' : `, ${delta.points >= 0 ? '+' : ''}${delta.points.toFixed(2)} points vs before (${delta.beforePercent.toFixed(2)}%)`;
    out.push(
      delta === undefined
        ? `<g class="f ${f.kind}" data-s="${f.start}" data-v="${f.value}" data-d="${f.depth}">`
        : `<g class="f ${f.kind} ${diffClass(delta.points)}" data-s="${f.start}" data-v="${f.value}" data-d="${f.depth}" data-delta="${delta.points.toFixed(3)}">`,
      `<title>${escapeXml(`${label} (${f.value} sample${f.value === 1 ? '' : 's'}, ${percentOf(f.value, total)}%${change})`)}</title>`,
      `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${FRAME_H - 1}" fill="${delta === undefined ? frameColor(f.kind, label) : diffColor(delta.points)}" rx="2"/>`,
      `<text x="${(x + TEXT_PAD).toFixed(2)}" y="${y + FRAME_H - 4.5}">${escapeXml(fitLabel(label, w))}</text></g>\n`,
    );
  }
  out.push('</g>\n');
  // CDATA: the script has < and && in it. It never contains "]]>".
  out.push(`<script type="text/ecmascript"><![CDATA[${VIEWER_SCRIPT}]]></script>\n`, '</svg>\n');
  return { svg: out.join(''), tree };
}

const STYLE = [
  '.bg{fill:#f8f8f4}',
  'text{font-family:Verdana,"DejaVu Sans",sans-serif;fill:#000}',
  '.title{font-size:17px;text-anchor:middle}',
  '.sub{font-size:12px;text-anchor:middle;fill:#555}',
  '.details{font-size:12px}',
  '.matched{font-size:12px;text-anchor:end}',
  '.reset{font-size:12px;cursor:pointer;fill:#0645ad;text-decoration:underline}',
  `.f text{font-size:${FONT_SIZE}px;pointer-events:none}`,
  '.f{cursor:pointer}',
  '.f:hover>rect{stroke:#000;stroke-width:0.5}',
  '.f.m>rect{fill:rgb(230,0,230)}',
  '.f.a>rect{opacity:0.55}',
  '.h{display:none}',
  'input.search{box-sizing:border-box;width:100%;height:20px;font:12px Verdana,sans-serif}',
].join('');
