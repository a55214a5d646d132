// speedscope's file format (https://www.speedscope.app/file-format-schema.json): one
// "sampled" profile whose samples are the distinct folded stacks (outermost frame first,
// indices into shared.frames) weighted by their counts. Open it at speedscope.app or with
// the `speedscope` npm CLI.
import type { FoldedStack } from '../capture/flamedata.js';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

export interface SpeedscopeFile {
  $schema: typeof SPEEDSCOPE_SCHEMA;
  shared: { frames: Array<{ name: string }> };
  profiles: Array<{
    type: 'sampled';
    name: string;
    unit: 'none';
    startValue: number;
    endValue: number;
    samples: number[][];
    weights: number[];
  }>;
  name: string;
  activeProfileIndex: number;
  exporter: string;
}

export function toSpeedscope(folded: readonly FoldedStack[], name: string): SpeedscopeFile {
  const frames: Array<{ name: string }> = [];
  const index = new Map<string, number>();
  const frameIndex = (label: string): number => {
    let i = index.get(label);
    if (i === undefined) {
      i = frames.length;
      frames.push({ name: label });
      index.set(label, i);
    }
    return i;
  };
  const samples: number[][] = [];
  const weights: number[] = [];
  let total = 0;
  for (const { stack, count } of folded) {
    if (count <= 0) continue;
    samples.push(stack.map(frameIndex));
    weights.push(count);
    total += count;
  }
  return {
    $schema: SPEEDSCOPE_SCHEMA,
    shared: { frames },
    profiles: [{ type: 'sampled', name, unit: 'none', startValue: 0, endValue: total, samples, weights }],
    name,
    activeProfileIndex: 0,
    exporter: 'autotracer',
  };
}
