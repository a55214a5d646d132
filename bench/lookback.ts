// The look-back sampler's steady cost and the agent's memory after captures (issue 14
// items 6 and 8).
//   node dist/bench/lookback.js [--rounds 3] [--window 10] [--settle 20] [--captures 20] [--parts isolated,agent,rss]
// 1. In isolation: this process with the sampler on (19 Hz, every CPU, 30 s window) vs off,
//    rounds interleaved; CPU from process.cpuUsage (the 1 s ring drains, decoding, the
//    window) plus the BPF program's kernel run time (bpf_enable_stats). % of one core.
// 2. The real agent, default tracers, supervisor.lookback on vs off, rounds interleaved:
//    CPU % of one core of the agent's process tree after a settle time.
// 3. RSS of the real agent (default tracers, cpusys with 1 s captures) after N manual
//    cpusys captures through the HTTP API, and its peak while they ran.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { LookbackSampler } from '../src/capture/lookback-sampler.js';
import { enableBpfStats } from '../src/native/index.js';
import { badOption } from './errors.js';
import { startAgent, type RunningAgent } from './lib/agent.js';
import { installSignalCleanup } from './lib/cleanup.js';
import { isEntry } from './lib/entry.js';
import { cpuPercentBetween, rssOf, sampleTree } from './lib/procfs.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, median, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

export interface LookbackBenchOptions {
  rounds: number;
  windowSeconds: number;
  settleSeconds: number;
  captures: number;
  /** Which parts to run; default all three. */
  parts: ReadonlyArray<'isolated' | 'agent' | 'rss'>;
  progress?: Progress;
}

export interface LookbackBenchResult {
  /** % of one core per round, sampler on (userland + BPF) and off. */
  isolatedOn: number[];
  isolatedOff: number[];
  /** BPF program's share of isolatedOn. */
  isolatedBpf: number[];
  agentOn: number[];
  agentOff: number[];
  rssAfterCaptures?: number;
  rssPeak?: number;
  rssBefore?: number;
  capturesDone: number;
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

async function isolatedRound(on: boolean, windowMs: number): Promise<{ percent: number; bpfPercent: number }> {
  const sampler = on ? LookbackSampler.start({ frequency: 19, retentionSeconds: 30 }) : undefined;
  try {
    await sleep(2000); // the first drains and the window filling: not steady state
    const b0 = sampler?.bpfRunTime();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(windowMs);
    const wall = performance.now() - t0;
    const user = cpuMs(process.cpuUsage(c0));
    const b1 = sampler?.bpfRunTime();
    const bpfMs = b0 === undefined || b1 === undefined ? 0 : (b1.ns - b0.ns) / 1e6;
    return { percent: (100 * (user + bpfMs)) / wall, bpfPercent: (100 * bpfMs) / wall };
  } finally {
    sampler?.close();
  }
}

async function agentRound(on: boolean, o: LookbackBenchOptions): Promise<number> {
  const agent = await startAgent({ config: { supervisor: { lookback: { enabled: on } } } });
  try {
    await sleep(o.settleSeconds * 1000);
    const a = sampleTree(agent.pid);
    await sleep(o.windowSeconds * 1000);
    return cpuPercentBetween(a, sampleTree(agent.pid));
  } finally {
    await agent.stop();
  }
}

async function trigger(agent: RunningAgent, token: string): Promise<void> {
  const res = await fetch(`${agent.baseUrl}/api/v1/tracers/cpusys/trigger`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'bench' }),
  });
  if (!res.ok) throw new Error(`trigger: HTTP ${res.status} ${await res.text()}`);
}

export async function runLookbackBench(o: LookbackBenchOptions): Promise<LookbackBenchResult> {
  const r: LookbackBenchResult = { isolatedOn: [], isolatedOff: [], isolatedBpf: [], agentOn: [], agentOff: [], capturesDone: 0 };
  const stats = o.parts.includes('isolated') ? enableBpfStats() : undefined;
  try {
    for (let round = 0; stats !== undefined && round < o.rounds; round++) {
      // Alternate which mode goes first, so neither always follows the other.
      for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
        o.progress?.step(`isolated round ${round + 1}/${o.rounds}: sampler ${on ? 'on' : 'off'} (${o.windowSeconds} s)`);
        const x = await isolatedRound(on, o.windowSeconds * 1000);
        if (on) {
          r.isolatedOn.push(x.percent);
          r.isolatedBpf.push(x.bpfPercent);
        } else {
          r.isolatedOff.push(x.percent);
        }
      }
    }
  } finally {
    stats?.close();
  }
  for (let round = 0; o.parts.includes('agent') && round < o.rounds; round++) {
    for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
      o.progress?.step(`agent round ${round + 1}/${o.rounds}: look-back ${on ? 'on' : 'off'} (settle ${o.settleSeconds} s, window ${o.windowSeconds} s)`);
      (on ? r.agentOn : r.agentOff).push(await agentRound(on, o));
    }
  }
  if (!o.parts.includes('rss')) return r;
  o.progress?.step(`agent: ${o.captures} cpusys captures of 1 s`);
  // As deployed: ops/systemd/autotracer.service sets MALLOC_ARENA_MAX=2 (the in-process cap
  // comes too late for node's own threads), and the first reading waits past the start-up
  // malloc trim at 30 s; without either the "before" figure is start-up garbage (~200 MB).
  const agent = await startAgent({ config: { tracers: { cpusys: { settings: { captureSeconds: 1 } } } }, env: { MALLOC_ARENA_MAX: '2' } });
  try {
    const token = readFileSync(join(agent.dir, 'api-token'), 'utf8').trim();
    await sleep(Math.max(o.settleSeconds, 40) * 1000);
    r.rssBefore = rssOf(agent.pid)?.total;
    let peak = 0;
    for (let i = 0; i < o.captures; i++) {
      await trigger(agent, token);
      r.capturesDone++;
      peak = Math.max(peak, rssOf(agent.pid)?.total ?? 0);
    }
    // Let the pool's idle timeout (30 s) and the malloc trim after it run, and V8's memory
    // reducer, as they would between events.
    await sleep(Math.max(o.settleSeconds, 35) * 1000);
    r.rssAfterCaptures = rssOf(agent.pid)?.total;
    r.rssPeak = Math.max(peak, r.rssAfterCaptures ?? 0);
  } finally {
    await agent.stop();
  }
  return r;
}

const MB = 1024 * 1024;

function figuresOf(r: LookbackBenchResult): Figure[] {
  const out: Figure[] = [];
  if (r.isolatedOn.length > 0) {
    const cost = r.isolatedOn.map((x, i) => x - (r.isolatedOff[i] ?? 0));
    out.push(figure('look-back cost in isolation (on − off), % of one core', '%', cost, { target: { on: 'value', op: '<=', value: 0.5 } }));
    out.push(figure('look-back BPF program (kernel), % of one core', '%', r.isolatedBpf));
  }
  if (r.agentOn.length > 0) {
    out.push(figure('agent CPU, look-back on, % of one core', '%', r.agentOn, { target: { on: 'value', op: '<=', value: 1 } }));
    out.push(figure('agent CPU, look-back off, % of one core', '%', r.agentOff));
  }
  if (r.rssAfterCaptures !== undefined) {
    out.push(figure(`agent RSS after ${r.capturesDone} captures`, 'MB', [r.rssAfterCaptures / MB], { target: { on: 'value', op: '<=', value: 160 } }));
    out.push(figure(`agent RSS peak during ${r.capturesDone} captures`, 'MB', [(r.rssPeak ?? 0) / MB]));
    out.push(figure('agent RSS before the captures', 'MB', [(r.rssBefore ?? 0) / MB]));
  }
  return out;
}

export const lookbackBenchmark: Benchmark = {
  name: 'lookback',
  title: 'look-back sampler cost (on vs off) and agent RSS after 20 captures',
  async run(options) {
    const r = await runLookbackBench({
      rounds: options.quick ? 1 : options.runs,
      windowSeconds: options.quick ? 5 : 20,
      settleSeconds: options.quick ? 10 : 30,
      captures: 20,
      parts: ['isolated', 'agent', 'rss'],
      progress: options.progress,
    });
    return {
      figures: figuresOf(r),
      notes: [
        'Isolated: this process with LookbackSampler at 19 Hz on every CPU (30 s window, ring drained every 1 s) vs without, modes alternating; CPU = process.cpuUsage + the BPF program run time (bpf_enable_stats); each figure the median over rounds.',
        'Agent: the real agent with default tracers, supervisor.lookback.enabled true vs false, a fresh agent per round after a settle time; CPU of its process tree from /proc.',
        'RSS: the real agent as the systemd unit runs it (MALLOC_ARENA_MAX=2; default tracers, cpusys captureSeconds 1), read 40 s after start (past the start-up trim), then after 20 manual cpusys triggers through the HTTP API and a settle time; VmRSS of the agent process (workers share it).',
      ],
    };
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      window: { type: 'string', default: '10' },
      settle: { type: 'string', default: '20' },
      captures: { type: 'string', default: '20' },
      parts: { type: 'string', default: 'isolated,agent,rss' },
    },
  });
  const int = (name: string, v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw badOption(`--${name}`, `expected a positive integer, got "${v}"`);
    return Number(v);
  };
  const r = await runLookbackBench({
    rounds: int('rounds', values.rounds!),
    windowSeconds: int('window', values.window!),
    settleSeconds: int('settle', values.settle!),
    captures: int('captures', values.captures!),
    parts: values.parts!.split(',').map((p) => {
      if (p !== 'isolated' && p !== 'agent' && p !== 'rss') throw badOption('--parts', `expected isolated, agent and/or rss, got "${p}"`);
      return p;
    }),
    progress: stderrProgress('lookback:'),
  });
  console.log('| figure | median | runs |');
  console.log('|---|---|---|');
  for (const f of figuresOf(r)) console.log(`| ${f.name} | ${fmt(median(f.runs), 2)} ${f.unit} | ${f.runs.map((x) => fmt(x, 2)).join(', ')} |`);
  if (r.isolatedOn.length > 0) console.log(`\nisolated on: ${r.isolatedOn.map((x) => fmt(x, 2)).join(', ')} %; off: ${r.isolatedOff.map((x) => fmt(x, 2)).join(', ')} %`);
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
