// A small parser of the Prometheus text exposition format (0.0.4) and a checker of the
// naming conventions docs/metrics.md promises. Used by the /metrics tests.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

export class ExpositionError extends Error {}

const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const seenType = new Set<string>();
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!nameRe.test(name)) throw new ExpositionError(`line ${i + 1}: bad metric name ${name}`);
      if (kind === 'TYPE') {
        if (seenType.has(name)) throw new ExpositionError(`line ${i + 1}: duplicated metric ${name}`);
        seenType.add(name);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new ExpositionError(`line ${i + 1}: bad type ${rest}`);
        family(name).type = rest as MetricFamily['type'];
      } else {
        family(name).help = rest;
      }
      continue;
    }
    const sample = parseSampleLine(line, i + 1);
    const owner = familyOf(sample.name, families);
    family(owner).samples.push(sample);
  }
  return families;
}

function familyOf(sampleName: string, families: Map<string, MetricFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.get(base)?.type === 'histogram' || families.get(base)?.type === 'summary') return base;
    }
  }
  return sampleName;
}

function parseSampleLine(line: string, lineNo: number): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
  if (m === null) throw new ExpositionError(`line ${lineNo}: cannot parse ${JSON.stringify(line)}`);
  const labels: Record<string, string> = {};
  const body = m[3] ?? '';
  const labelRe = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let pos = 0;
  while (pos < body.length) {
    labelRe.lastIndex = pos;
    const lm = labelRe.exec(body);
    if (lm === null) throw new ExpositionError(`line ${lineNo}: bad labels ${body}`);
    const key = lm[1]!;
    if (key in labels) throw new ExpositionError(`line ${lineNo}: label ${key} twice`);
    labels[key] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    pos = labelRe.lastIndex;
  }
  const raw = m[4]!;
  // Prometheus parses floats with Go's ParseFloat (NaN case-insensitive); prom-client
  // writes "Nan" for an empty event-loop-lag window.
  const isNaNText = /^nan$/i.test(raw);
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : isNaNText ? NaN : Number(raw);
  if (Number.isNaN(value) && !isNaNText) throw new ExpositionError(`line ${lineNo}: bad value ${raw}`);
  return { name: m[1]!, labels, value };
}

/** Words in a name that mean time or size, and the base unit suffix they need. */
const unitHints: Array<{ word: RegExp; unit: string }> = [
  { word: /(^|_)(latency|duration|time|age|lag|delay|uptime|seconds|ms|milliseconds|us|microseconds|ns|nanoseconds|cpu)(_|$)/, unit: 'seconds' },
  { word: /(^|_)(size|bytes|memory|rss|heap|kb|mb|gb|kib|mib|gib)(_|$)/, unit: 'bytes' },
];

/** Names a metric must not contain: non-base units. */
const nonBaseUnits = /(^|_)(ms|milliseconds|us|microseconds|ns|nanoseconds|kb|mb|gb|kib|mib|gib|percent)(_|$)/;

/**
 * Convention violations of one family (empty when it is fine): snake_case, the prefix,
 * `_total` on counters and only on counters, base units, a unit suffix on time and size.
 * `exempt` lists metrics that are not ours to name (prom-client's default metrics).
 */
export function conventionViolations(f: MetricFamily, prefix = 'autotracer_'): string[] {
  const out: string[] = [];
  const n = f.name;
  if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(n)) out.push(`${n}: not snake_case`);
  if (!n.startsWith(prefix)) out.push(`${n}: missing prefix ${prefix}`);
  if (f.type === 'counter' && !n.endsWith('_total')) out.push(`${n}: counter without _total`);
  if (f.type !== 'counter' && n.endsWith('_total')) out.push(`${n}: ${f.type} named _total`);
  if (nonBaseUnits.test(n)) out.push(`${n}: not in a base unit`);
  const stem = n.replace(/_total$/, '');
  for (const hint of unitHints) {
    if (hint.word.test(stem) && !stem.endsWith(`_${hint.unit}`) && !stem.endsWith('_ratio') && !stem.endsWith('_info')) {
      out.push(`${n}: time/size metric without the _${hint.unit} unit suffix`);
    }
  }
  for (const s of f.samples) {
    for (const key of Object.keys(s.labels)) {
      if (!/^[a-z][a-z0-9_]*$/.test(key)) out.push(`${n}: label ${key} not snake_case`);
    }
  }
  return [...new Set(out)];
}
