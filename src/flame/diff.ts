// The differential view: the `after` graph drawn as usual, each frame coloured by how its
// share of the samples changed since `before` (red = grew, blue = shrank, grey = same or
// new in neither). Shares, not counts: the look-back samples at 19 Hz for 30 s, the capture
// at 99 Hz for 10 s, so only fractions of each profile compare.
import { cleanLabel, type LaidFrame } from './tree.js';
import type { FoldedStack } from '../capture/flamedata.js';

/** Percentage points of change below which a frame is drawn neutral. */
export const DIFF_NEUTRAL_POINTS = 0.5;

/** Share (percent of all samples) of every frame path, keyed by the root-first labels joined with \u0000. */
export function pathShares(folded: readonly FoldedStack[]): { shares: Map<string, number>; total: number } {
  const counts = new Map<string, number>();
  let total = 0;
  for (const { stack, count } of folded) {
    if (count <= 0) continue;
    total += count;
    let key = '';
    for (const raw of stack) {
      key = key === '' ? cleanLabel(raw) : `${key}\u0000${cleanLabel(raw)}`;
      counts.set(key, (counts.get(key) ?? 0) + count);
    }
  }
  const shares = new Map<string, number>();
  for (const [k, n] of counts) shares.set(k, total === 0 ? 0 : (100 * n) / total);
  return { shares, total };
}

export interface FrameDelta {
  /** after share - before share, percentage points */
  points: number;
  /** before share, percent (0 when the frame was absent before) */
  beforePercent: number;
}

/** The delta of each laid-out frame (pre-order, as layoutFolded returns them); index-aligned. */
export function frameDeltas(frames: readonly LaidFrame[], afterTotal: number, before: readonly FoldedStack[]): FrameDelta[] {
  const { shares } = pathShares(before);
  const path: string[] = [];
  return frames.map((f) => {
    if (f.depth === 0) return { points: 0, beforePercent: 100 };
    path.length = f.depth - 1;
    path.push(f.label);
    const beforePercent = shares.get(path.join('\u0000')) ?? 0;
    const afterPercent = afterTotal === 0 ? 0 : (100 * f.value) / afterTotal;
    return { points: afterPercent - beforePercent, beforePercent };
  });
}

/** Red for growth, blue for shrinkage, saturating at 20 points; near-white when unchanged. */
export function diffColor(points: number): string {
  if (Math.abs(points) < DIFF_NEUTRAL_POINTS) return 'rgb(235,235,235)';
  const t = Math.min(1, Math.abs(points) / 20);
  const fade = Math.round(225 - 175 * t);
  return points > 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

/** The class that marks a frame in the diff SVG: "grew", "shrank" or "same". */
export function diffClass(points: number): 'grew' | 'shrank' | 'same' {
  if (Math.abs(points) < DIFF_NEUTRAL_POINTS) return 'same';
  return points > 0 ? 'grew' : 'shrank';
}
