// Prometheus naming rules applied to names and labels that come from tracers' update():
// snake_case, `_total` only (and always) on counters, label names that Prometheus accepts.
export const metricPrefix = 'autotracer_';

const metricNamePattern = /^[a-z_][a-z0-9_]*$/;

/** "example.load1-avg" → "example_load1_avg"; camelCase → snake_case. */
export function toSnakeCase(raw: string): string {
  return raw
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The exported name of a tracer's update() sample; undefined when nothing valid is left. */
export function tracerSampleName(sampleName: string, kind: 'gauge' | 'counter'): string | undefined {
  let base = toSnakeCase(sampleName);
  if (base === '' || /^[0-9]/.test(base)) return undefined;
  base = base.replace(/_total$/, '');
  const name = `${metricPrefix}tracer_${base}${kind === 'counter' ? '_total' : ''}`;
  return metricNamePattern.test(name) ? name : undefined;
}

export function toLabelName(raw: string): string | undefined {
  const name = toSnakeCase(raw);
  if (name === '' || /^[0-9]/.test(name) || name.startsWith('__')) return undefined;
  return name;
}
