// Agent steady overhead: the real agent with every default tracer at its defaults, measured
// from OUTSIDE through /proc (what `top` or a cgroup would charge it), in thread isolation
// and with every tracer in process isolation.
//   node dist/bench/overhead.js [--window 60] [--runs 5] [--settle 45]
// After "autotracer running" plus a settle time (start-up: BPF verification, first scans,
// and V8's memory reducer: each isolate runs a few full GCs 15–30 s after start, measured
// with --trace-gc — not the steady state this benchmark is about),
// a window of W seconds is split into N equal sub-windows; each sub-window gives one CPU %
// of one core (utime+stime of the agent and, in process mode, of its child processes) and
// one RSS (the whole process tree, sampled every second, the sub-window's median).
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtinTracers } from '../src/actors/tracers/catalog.js';
import { badOption } from './errors.js';
import { isolationFor, startAgent } from './lib/agent.js';
import { isEntry } from './lib/entry.js';
import { installSignalCleanup } from './lib/cleanup.js';
import { cpuPercentBetween, sampleTree, type Rss } from './lib/procfs.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, median, withBaseline, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

export interface OverheadOptions {
  isolation: 'thread' | 'process';
  windowSeconds: number;
  subWindows: number;
  settleSeconds: number;
  progress?: Progress;
}

export interface OverheadRuns {
  /** CPU % of one core per sub-window. */
  cpuPercent: number[];
  /** RSS bytes per sub-window (median of its 1 s samples). */
  rssBytes: number[];
  /** PSS bytes (shared pages split among sharers) per sub-window. */
  pssBytes: number[];
  processes: number;
  startupSeconds: number;
  /** The split of the last sample (anon / file / shmem), bytes. */
  lastRss: Rss;
}

export async function runOverhead(o: OverheadOptions): Promise<OverheadRuns> {
  const t0 = performance.now();
  const agent = await startAgent({ config: { tracers: isolationFor(Object.keys(builtinTracers), o.isolation) } });
  const startupSeconds = (performance.now() - t0) / 1000;
  try {
    o.progress?.step(`${o.isolation}: agent pid ${agent.pid} ready after ${startupSeconds.toFixed(1)} s; settling ${o.settleSeconds} s`);
    await sleep(o.settleSeconds * 1000);
    const cpuPercent: number[] = [];
    const rssBytes: number[] = [];
    let processes = 0;
    let lastRss: Rss = { total: 0, anon: 0, file: 0, shmem: 0, pss: 0 };
    const pssBytes: number[] = [];
    const sub = (o.windowSeconds * 1000) / o.subWindows;
    for (let i = 0; i < o.subWindows; i++) {
      o.progress?.step(`${o.isolation}: window ${i + 1}/${o.subWindows} (${(sub / 1000).toFixed(0)} s)`);
      const start = sampleTree(agent.pid);
      const rss: number[] = [start.rss];
      const pss: number[] = [start.rssSplit.pss];
      const end = performance.now() + sub;
      let last = start;
      while (performance.now() < end) {
        await sleep(Math.min(1000, Math.max(0, end - performance.now())));
        last = sampleTree(agent.pid);
        rss.push(last.rss);
        pss.push(last.rssSplit.pss);
      }
      if (last.processes === 0) throw new Error(`the agent (pid ${agent.pid}) is gone:\n${agent.output().slice(-2000)}`);
      processes = last.processes;
      lastRss = last.rssSplit;
      cpuPercent.push(cpuPercentBetween(start, last));
      rssBytes.push(median(rss));
      pssBytes.push(median(pss));
    }
    return { cpuPercent, rssBytes, pssBytes, processes, startupSeconds, lastRss };
  } finally {
    await agent.stop();
  }
}

const MB = 1e6;

function figuresFor(isolation: 'thread' | 'process', r: OverheadRuns, thread?: OverheadRuns): Figure[] {
  const targets = isolation === 'thread';
  const cpu = figure(`agent CPU % of one core (${isolation}, ${r.processes} process${r.processes === 1 ? '' : 'es'})`, '%', r.cpuPercent, targets ? { target: { on: 'value', op: '<=', value: 0.5 } } : {});
  const split = `last sample: anon ${fmt(r.lastRss.anon / MB)} MB, file-backed ${fmt(r.lastRss.file / MB)} MB (node, addon, LMDB map), shmem ${fmt(r.lastRss.shmem / MB)} MB`;
  const rss = figure(`agent RSS, process tree (${isolation})`, 'MB', r.rssBytes.map((b) => b / MB), { note: split, ...(targets ? { target: { on: 'value', op: '<=', value: 150 } } : {}) });
  const pss = figure(`agent PSS, process tree (${isolation})`, 'MB', r.pssBytes.map((b) => b / MB), { note: 'shared pages (node binary, libraries) divided among the processes sharing them' });
  if (thread === undefined) return [cpu, rss, pss];
  return [withBaseline(cpu, 'thread', thread.cpuPercent), withBaseline(rss, 'thread', thread.rssBytes.map((b) => b / MB)), withBaseline(pss, 'thread', thread.pssBytes.map((b) => b / MB))];
}

export const overheadBenchmark: Benchmark = {
  name: 'overhead',
  title: 'Agent steady overhead (every default tracer at its defaults), from outside via /proc',
  async run(options) {
    const windowSeconds = options.quick ? 15 : 60;
    const base = { windowSeconds, subWindows: options.runs, settleSeconds: options.quick ? 2 : 45, progress: options.progress };
    const thread = await runOverhead({ ...base, isolation: 'thread' });
    const proc = await runOverhead({ ...base, isolation: 'process' });
    const enabled = Object.entries(builtinTracers).filter(([, e]) => e.enabledByDefault).map(([n]) => n);
    return {
      figures: [...figuresFor('thread', thread), ...figuresFor('process', proc, thread)],
      notes: [
        `Tracers: ${enabled.join(', ')} (the catalog's defaults; waitrate and example are opt-in). Storage in a temp dir, HTTP on an ephemeral loopback port. Start-up to "autotracer running": thread ${fmt(thread.startupSeconds, 1)} s, process ${fmt(proc.startupSeconds, 1)} s; then ${base.settleSeconds} s settle before measuring.`,
        `One ${windowSeconds} s window split into ${options.runs} sub-windows: each sub-window is one run (CPU = Δ(utime+stime) of every process in the tree / Δt; RSS = median of 1 s samples of the summed VmRSS). MB = 10^6 bytes. The default tracers sample every 5–10 s, so short sub-windows alias their ticks: min/max spread is expected.`,
      ],
    };
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { window: { type: 'string', default: '60' }, runs: { type: 'string', default: '5' }, settle: { type: 'string', default: '45' }, isolation: { type: 'string', default: 'both' } } });
  const windowSeconds = Number(values.window);
  const subWindows = Number(values.runs);
  const settleSeconds = Number(values.settle);
  if (!(windowSeconds > 0) || !(subWindows >= 1) || !(settleSeconds >= 0)) throw badOption('--window/--runs/--settle', 'expected positive numbers');
  const progress = stderrProgress('overhead:');
  const rows: string[] = [];
  let thread: OverheadRuns | undefined;
  for (const isolation of ['thread', 'process'] as const) {
    if (values.isolation !== 'both' && values.isolation !== isolation) continue;
    const r = await runOverhead({ isolation, windowSeconds, subWindows, settleSeconds, progress });
    if (isolation === 'thread') thread = r;
    for (const f of figuresFor(isolation, r, isolation === 'process' ? thread : undefined)) {
      rows.push(`| ${f.name} | ${fmt(f.summary.median, 2)} ${f.unit} | ${fmt(f.summary.min, 2)} – ${fmt(f.summary.max, 2)} | ${f.target ? `${f.target.op} ${f.target.value}: ${f.pass ? 'pass' : 'FAIL'}` : ''} |`);
    }
  }
  console.log(`bench/overhead: ${windowSeconds} s window in ${subWindows} sub-windows, ${settleSeconds} s settle\n`);
  console.log('| measure | median | min – max | target |\n|---|---|---|---|');
  for (const r of rows) console.log(r);
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
