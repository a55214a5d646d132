// Figures: every number in a report is the median of several runs with their min and max,
// optionally compared with a baseline measured in the same invocation and checked against a
// target. Kept as plain data so the Markdown and the JSON come from the same objects.

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function summarize(xs: readonly number[]): Summary {
  return { median: median(xs), min: xs.length ? Math.min(...xs) : Number.NaN, max: xs.length ? Math.max(...xs) : Number.NaN, n: xs.length };
}

/** `value <= limit` or `value >= limit`, in the figure's own unit. */
export interface Target {
  op: '<=' | '>=';
  value: number;
}

export interface Figure {
  /** What was measured, e.g. "CPU % of one core (thread)". */
  name: string;
  unit: string;
  summary: Summary;
  /** Every run's value, in order. */
  runs: number[];
  /** The baseline this figure is compared with (same invocation), and value/baseline. */
  baseline?: { name: string; median: number; ratio: number };
  /** What the ratio or value is checked against; `on` says which. */
  target?: Target & { on: 'value' | 'ratio' | 'slowdown %' };
  pass?: boolean;
  note?: string;
}

export function figure(name: string, unit: string, runs: number[], extra: Partial<Omit<Figure, 'name' | 'unit' | 'runs' | 'summary'>> = {}): Figure {
  const f: Figure = { name, unit, runs, summary: summarize(runs), ...extra };
  if (f.target !== undefined) f.pass = checkTarget(f);
  return f;
}

/** Compares `f` with a baseline median: ratio = f.median / baseline.median. */
export function withBaseline(f: Figure, baselineName: string, baselineRuns: number[]): Figure {
  const b = median(baselineRuns);
  const out: Figure = { ...f, baseline: { name: baselineName, median: b, ratio: f.summary.median / b } };
  if (out.target !== undefined) out.pass = checkTarget(out);
  return out;
}

/** Slowdown in percent of `value` against `baseline` for a throughput (higher is better). */
export function slowdownPercent(value: number, baseline: number): number {
  return ((baseline - value) / baseline) * 100;
}

function checkTarget(f: Figure): boolean | undefined {
  const t = f.target;
  if (t === undefined) return undefined;
  let v: number;
  switch (t.on) {
    case 'value':
      v = f.summary.median;
      break;
    case 'ratio':
      if (f.baseline === undefined) return undefined;
      v = f.baseline.ratio;
      break;
    case 'slowdown %':
      if (f.baseline === undefined) return undefined;
      v = slowdownPercent(f.summary.median, f.baseline.median);
      break;
    default: {
      const never: never = t.on;
      throw new Error(`unknown target kind ${String(never)}`);
    }
  }
  if (!Number.isFinite(v)) return false;
  return t.op === '<=' ? v <= t.value : v >= t.value;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Digits that keep about three significant figures for small numbers. */
export function autoDigits(n: number): number {
  const a = Math.abs(n);
  return a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
}
