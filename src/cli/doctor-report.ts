// The doctor's result model and its two renderings (an aligned table for people, JSON for
// scripts). Checks never throw: each one becomes a CheckResult with a status, a one-line
// detail and, when it is not ok, a one-line hint saying what to do.

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable id for scripts, e.g. `host.btf`, `tracepoint.sched/sched_switch`, `bpf.profile`. */
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
  /** A failure here stops the whole agent (not one tracer): counts towards exit code 1. */
  fatal?: boolean;
}

export interface TracerResult {
  name: string;
  enabled: boolean;
  canRun: boolean;
  /** One line per failed requirement (empty when canRun). */
  reasons: string[];
  checks: CheckResult[];
  /** The BPF objects it loads on this kernel (after any BTF-driven variant choice). */
  bpfObjects: string[];
}

export interface DoctorReport {
  /** Set when the report predicts for another kernel's BTF file (`doctor --btf`). */
  predictedFor?: string;
  host: CheckResult[];
  agent: CheckResult[];
  tracers: TracerResult[];
  /** 0 when every enabled tracer can run and nothing fatal failed, 1 otherwise. */
  exitCode: 0 | 1;
}

export function check(id: string, title: string, status: CheckStatus, detail: string, hint?: string): CheckResult {
  return { id, title, status, detail, ...(hint !== undefined && status !== 'ok' && status !== 'skip' ? { hint } : {}) };
}

export function exitCodeOf(report: Omit<DoctorReport, 'exitCode'>): 0 | 1 {
  const tracerDown = report.tracers.some((t) => t.enabled && !t.canRun);
  const fatal = [...report.host, ...report.agent].some((c) => c.fatal === true && c.status === 'fail');
  return tracerDown || fatal ? 1 : 0;
}

const mark = (s: CheckStatus): string => {
  switch (s) {
    case 'ok':
      return 'ok';
    case 'warn':
      return 'WARN';
    case 'fail':
      return 'FAIL';
    case 'skip':
      return 'skip';
  }
};

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function checkRows(checks: readonly CheckResult[]): string[] {
  const lines = table([['CHECK', 'STATUS', 'DETAIL'], ...checks.map((c) => [c.title, mark(c.status), c.detail])]);
  const out: string[] = [lines[0]!];
  checks.forEach((c, i) => {
    out.push(lines[i + 1]!);
    if (c.hint !== undefined) out.push(`    hint: ${c.hint}`);
  });
  return out;
}

export function renderTable(report: DoctorReport): string {
  const out: string[] = report.predictedFor !== undefined
    ? [`Prediction for the kernel whose BTF is ${report.predictedFor} (nothing loaded)`, ...checkRows(report.host), '', 'Tracers']
    : ['Host', ...checkRows(report.host), '', 'Agent', ...checkRows(report.agent), '', 'Tracers'];
  const rows = table([
    ['TRACER', 'ENABLED', 'CAN RUN', 'WHY NOT'],
    ...report.tracers.map((t) => [t.name, t.enabled ? 'yes' : 'no', t.canRun ? 'yes' : 'NO', t.reasons[0] ?? '']),
  ]);
  out.push(rows[0]!);
  report.tracers.forEach((t, i) => {
    out.push(rows[i + 1]!);
    for (const extra of t.reasons.slice(1)) out.push(`${' '.repeat(4)}also: ${extra}`);
    const hints = new Set(t.checks.filter((c) => c.status === 'fail' && c.hint !== undefined).map((c) => c.hint!));
    for (const hint of hints) out.push(`    hint: ${hint}`);
    for (const c of t.checks) if (c.id.startsWith('feature.') && c.status === 'warn') out.push(`    fallback: ${c.title.replace(/^kernel: /, '')}: ${c.detail}`);
    const variant = t.checks.find((c) => c.id.startsWith('variant.') && c.status === 'ok');
    if (variant !== undefined) out.push(`    program: ${variant.detail}`);
  });
  const down = report.tracers.filter((t) => t.enabled && !t.canRun).map((t) => t.name);
  out.push('', report.exitCode === 0
    ? 'Every enabled tracer can run here.'
    : down.length > 0 ? `Enabled tracers that cannot run here: ${down.join(', ')}.` : 'A check the whole agent depends on failed.');
  return out.join('\n') + '\n';
}

export function renderJson(report: DoctorReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
