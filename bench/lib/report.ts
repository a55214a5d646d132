// The report: one Markdown file for people and one JSON file for tools, written from the
// same objects, as <out>/bench-<timestamp>.{md,json} plus latest.{md,json}.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine.js';
import { autoDigits, fmt, slowdownPercent, type Figure } from './stats.js';
import type { BenchOutput, ExtraTable } from './types.js';

export interface BenchRecord {
  name: string;
  title: string;
  seconds: number;
  /** 1-minute load average before and after: how busy the (possibly shared) machine was. */
  load1: [number, number];
  output?: BenchOutput;
  error?: { code?: string; message: string };
}

export interface Report {
  startedAt: string;
  finishedAt: string;
  command: string;
  options: { runs: number; quick: boolean; only: string[] | null };
  machine: MachineInfo;
  benchmarks: BenchRecord[];
}

const num = (n: number): string => fmt(n, autoDigits(n));

function targetText(f: Figure): string {
  const t = f.target;
  if (t === undefined) return '';
  switch (t.on) {
    case 'value':
      return `${t.op} ${num(t.value)} ${f.unit}`;
    case 'ratio':
      return `ratio ${t.op} ${num(t.value * 100)} %`;
    case 'slowdown %':
      return `slowdown ${t.op} ${num(t.value)} %`;
    default: {
      const never: never = t.on;
      return String(never);
    }
  }
}

function comparison(f: Figure): string {
  if (f.baseline === undefined) return '';
  const ratio = `${num(f.baseline.ratio * 100)} % of ${f.baseline.name}`;
  return f.target?.on === 'slowdown %' ? `${ratio} (slowdown ${num(slowdownPercent(f.summary.median, f.baseline.median))} %)` : ratio;
}

export function figureRow(f: Figure): string[] {
  const s = f.summary;
  return [
    f.name,
    `${num(s.median)} ${f.unit}`,
    `${num(s.min)} – ${num(s.max)}`,
    String(s.n),
    comparison(f),
    targetText(f),
    f.pass === undefined ? '' : f.pass ? 'pass' : '**FAIL**',
    f.note ?? '',
  ];
}

const esc = (c: string): string => c.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---|').join('')}`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function extraTable(t: ExtraTable): string {
  return `${t.title}:\n\n${markdownTable(t.header, t.rows)}`;
}

export function renderMarkdown(r: Report): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`# autotracer benchmarks — ${r.startedAt}`);
  lines.push('');
  lines.push(`Command: \`${r.command}\` (runs per figure: ${r.options.runs}${r.options.quick ? ', --quick: a smoke test, not figures to publish' : ''}). Finished ${r.finishedAt}.`);
  lines.push('');
  lines.push(
    markdownTable(
      ['kernel', 'CPU', 'nproc', 'memory', 'node', 'git commit', 'load avg at start'],
      [[m.kernel, m.cpuModel, String(m.nproc), `${fmt(m.memoryBytes / 2 ** 30, 1)} GiB`, m.node, `${m.gitCommit}${m.gitDirty ? ' (+ uncommitted changes)' : ''}`, m.loadAverageAtStart.join(' ')]],
    ),
  );
  lines.push('');
  lines.push('Each figure is the median of its runs (min – max beside it); a ratio compares with a baseline measured in the same invocation. The machine may be shared: compare within one report.');
  const failed: string[] = [];
  for (const [i, b] of r.benchmarks.entries()) {
    lines.push('');
    lines.push(`## ${i + 1}. ${b.title} (\`${b.name}\`, ${fmt(b.seconds, 0)} s, load average ${fmt(b.load1[0], 1)} → ${fmt(b.load1[1], 1)})`);
    lines.push('');
    if (b.error !== undefined) {
      lines.push(`**Did not complete**: ${b.error.code ?? 'ERROR'}: ${b.error.message}`);
      continue;
    }
    const out = b.output!;
    if (out.figures.length > 0) {
      lines.push(markdownTable(['measure', 'median', 'min – max', 'runs', 'vs baseline', 'target', 'result', 'note'], out.figures.map(figureRow)));
    }
    for (const f of out.figures) if (f.pass === false) failed.push(`${b.name}: ${f.name}`);
    for (const t of out.tables ?? []) lines.push('', extraTable(t));
    if (out.notes.length > 0) lines.push('', ...out.notes.map((n) => `- ${n}`));
  }
  const withTargets = r.benchmarks.flatMap((b) => b.output?.figures ?? []).filter((f) => f.pass !== undefined);
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  lines.push(`${withTargets.length - failed.length} of ${withTargets.length} targets met.${failed.length > 0 ? ` Missed: ${failed.join('; ')}.` : ''}`);
  const errors = r.benchmarks.filter((b) => b.error !== undefined);
  if (errors.length > 0) lines.push('', `Benchmarks that did not complete: ${errors.map((b) => b.name).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** Writes bench-<stamp>.md/.json and copies them to latest.md/.json; returns the paths. */
export function writeReport(outDir: string, r: Report): { md: string; json: string } {
  mkdirSync(outDir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const md = join(outDir, `bench-${stamp}.md`);
  const json = join(outDir, `bench-${stamp}.json`);
  writeFileSync(md, renderMarkdown(r));
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  copyFileSync(md, join(outDir, 'latest.md'));
  copyFileSync(json, join(outDir, 'latest.json'));
  return { md, json };
}
