// `npm run bench`: every benchmark in one command, with progress on stderr, writing a
// Markdown table and a JSON file (machine info included) to <out>/bench-<timestamp>.{md,json}
// and <out>/latest.{md,json}. As root (BPF, cgroups, loop devices).
//   node dist/bench/run.js [--runs 5] [--quick] [--only overhead,hotpath,...] [--out bench/results]
// A benchmark that fails is reported as such and the others still run; the exit code is 1
// when any did not complete (a missed target is a result, not an error: exit 0).
import { loadavg } from 'node:os';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../src/paths.js';
import { detectionBenchmark } from './detection.js';
import { badOption } from './errors.js';
import { hotpathBenchmark } from './hotpath.js';
import { lookbackBenchmark } from './lookback.js';
import { installSignalCleanup, runAllCleanups } from './lib/cleanup.js';
import { machineInfo } from './lib/machine.js';
import { stderrProgress } from './lib/progress.js';
import { renderMarkdown, writeReport, type BenchRecord, type Report } from './lib/report.js';
import type { Benchmark } from './lib/types.js';
import { nativeBenchmark } from './native.js';
import { overheadBenchmark } from './overhead.js';
import { restartBenchmark } from './restart.js';
import { scaleBenchmark } from './scale.js';
import { peersBenchmark } from './peers.js';
import { pipelineBenchmark, shippingBenchmark } from './storage.js';
import { waitrateBenchmark } from './waitrate.js';

/** In running order: the agent's own overhead first, while nothing of ours has run yet. */
export const BENCHMARKS: readonly Benchmark[] = [
  overheadBenchmark,
  hotpathBenchmark,
  pipelineBenchmark,
  shippingBenchmark,
  restartBenchmark,
  waitrateBenchmark,
  nativeBenchmark,
  detectionBenchmark,
  lookbackBenchmark,
  scaleBenchmark,
  peersBenchmark,
];

const usage = `usage: node dist/bench/run.js [--runs N] [--quick] [--only ${BENCHMARKS.map((b) => b.name).join(',')}] [--out DIR]`;

interface RunOptions {
  runs: number;
  quick: boolean;
  only: string[] | null;
  out: string;
}

export function parseRunOptions(argv: string[]): RunOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        runs: { type: 'string' },
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        out: { type: 'string', default: resolve(repoRoot, 'bench', 'results') },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw badOption('arguments', `${(err as Error).message}\n${usage}`);
  }
  const v = parsed.values;
  const quick = v.quick === true;
  let runs = quick ? 3 : 5;
  if (v.runs !== undefined) {
    if (!/^\d+$/.test(v.runs) || Number(v.runs) < 1 || Number(v.runs) > 100) throw badOption('--runs', `expected an integer 1..100, got "${v.runs}"`);
    runs = Number(v.runs);
  }
  let only: string[] | null = null;
  if (v.only !== undefined) {
    only = v.only.split(',').map((s) => s.trim()).filter(Boolean);
    const known = BENCHMARKS.map((b) => b.name);
    const unknown = only.filter((n) => !known.includes(n));
    if (only.length === 0 || unknown.length > 0) throw badOption('--only', `unknown benchmark ${unknown.map((u) => `"${u}"`).join(', ') || '(empty list)'}; known: ${known.join(', ')}`);
  }
  return { runs, quick, only, out: resolve(v.out!) };
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  let options: RunOptions;
  try {
    options = parseRunOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) process.stderr.write('bench: not root — BPF, cgroup and loop-device benchmarks will fail\n');
  installSignalCleanup();
  const selected = BENCHMARKS.filter((b) => options.only === null || options.only.includes(b.name));
  const started = new Date();
  const machine = machineInfo();
  const records: BenchRecord[] = [];
  process.stderr.write(`bench: ${selected.length} benchmarks, ${options.runs} runs each${options.quick ? ' (quick)' : ''}; report to ${options.out}\n`);
  for (const [i, b] of selected.entries()) {
    const progress = stderrProgress(`[${i + 1}/${selected.length}] ${b.name}:`);
    progress.step(b.title);
    const t0 = performance.now();
    const load0 = loadavg()[0]!;
    try {
      const output = await b.run({ runs: options.runs, quick: options.quick, progress });
      records.push({ name: b.name, title: b.title, seconds: (performance.now() - t0) / 1000, load1: [load0, loadavg()[0]!], output });
      progress.step(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    } catch (err) {
      const e = err as Error & { code?: string };
      records.push({ name: b.name, title: b.title, seconds: (performance.now() - t0) / 1000, load1: [load0, loadavg()[0]!], error: { ...(e.code !== undefined ? { code: e.code } : {}), message: e.message } });
      progress.step(`FAILED: ${e.code ?? ''} ${e.message}`);
      // Whatever it left behind (agent, workload, loop device, sysctl) goes before the next one.
      await runAllCleanups((m) => progress.step(m));
    }
  }
  const report: Report = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `node ${relative(repoRoot, process.argv[1] ?? 'dist/bench/run.js')} ${process.argv.slice(2).join(' ')}`.trim(),
    options: { runs: options.runs, quick: options.quick, only: options.only },
    machine,
    benchmarks: records,
  };
  const paths = writeReport(options.out, report);
  process.stdout.write(renderMarkdown(report));
  process.stderr.write(`bench: wrote ${paths.md} and ${paths.json} (also latest.md / latest.json); ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s in all\n`);
  return records.some((r) => r.error !== undefined) ? 1 : 0;
}

process.exitCode = await main();
// Worker pools or timers a benchmark left running must not keep the harness alive.
setImmediate(() => process.exit());
