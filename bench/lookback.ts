// The look-back sampler's steady cost and the agent's memory after captures (issue 14
// items 6 and 8).
//   node dist/bench/lookback.js [--rounds 3] [--window 30] [--settle 45] [--captures 20] [--parts isolated,agent,rss]
// 1. In isolation: this process with the sampler on (19 Hz, every CPU, 30 s window) vs off,
//    rounds interleaved; CPU from process.cpuUsage (the 5 s reads of the kernel counts, the
//    window) plus the BPF program's kernel run time (bpf_enable_stats). % of one core.
// 2. The real agent, default tracers, supervisor.lookback on vs off, rounds interleaved:
//    CPU % of one core of every thread of the agent's process tree, in ns (schedstat; utime
//    and stime count 10 ms ticks: 0.1 % resolution in 10 s), after a 45 s settle (V8's
//    post-start GCs), with the split per thread (main, each tracer, helpers).
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
import { cpuPercentBetween, rssOf, sampleTree, threadsOf, type ThreadCpu } from './lib/procfs.js';
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
  /** Every agent round in order, with its per-thread split. */
  agentRounds: AgentRound[];
  /** Load average (1 min) at the start of each isolated round. */
  isolatedLoad: number[];
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

/** One agent round: the agent's CPU over the window, in total and per thread (% of one core). */
export interface AgentRound {
  on: boolean;
  /** Every thread of the process tree, ns-precision (schedstat). */
  percent: number;
  /** The same window from utime+stime (10 ms ticks), for comparison with bench/overhead. */
  tickPercent: number;
  /** % of one core per thread role (see threadRole). */
  byRole: Map<string, number>;
  /** Per thread, for the verbose table of the last round. */
  threads: Array<{ tid: number; role: string; startS: number; percent: number }>;
  load: [number, number];
  /** Tracer cooldown hits (events fired) during the window: a capture's CPU is not steady state. */
  eventsInWindow: number;
}

interface TracerView {
  name: string;
  cpuSeconds: number;
  isolation: string;
  hits: number;
}

const loadAverage = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/**
 * Names the agent's threads (every one is "node"): the main thread by its tid; a tracer's
 * worker by its CPU ticks, which the agent reports per tracer from the same /proc file
 * (cpuSeconds); the rest by when they started: with the process (V8's platform threads,
 * libuv's pool) or later (the storage actor, capture pools, unmatched tracers).
 */
function threadRoles(root: number, threads: ThreadCpu[], tracers: TracerView[], windowStartTicks: number): Map<number, string> {
  const roles = new Map<number, string>();
  const main = threads.find((t) => t.tid === root);
  for (const t of threads) if (t.tid === root) roles.set(t.tid, 'main thread');
  for (const tr of tracers) {
    if (tr.isolation !== 'thread') continue;
    const want = Math.round(tr.cpuSeconds * 100);
    const candidates = threads.filter((t) => !roles.has(t.tid) && t.pid === root && Math.abs(t.ticks - want) <= 1);
    if (candidates.length === 1) roles.set(candidates[0]!.tid, `tracer ${tr.name}`);
  }
  for (const t of threads) {
    if (roles.has(t.tid)) continue;
    if (t.pid !== root) roles.set(t.tid, 'child processes');
    else if (t.startTicks >= windowStartTicks) roles.set(t.tid, 'threads started during the window (capture pools)');
    else roles.set(t.tid, main !== undefined && t.startTicks - main.startTicks <= 20 ? 'node helpers (V8 platform, libuv pool; started with the process)' : 'other workers (storage, pools, unmatched tracers)');
  }
  return roles;
}

async function agentRound(on: boolean, o: LookbackBenchOptions): Promise<AgentRound> {
  // A loaded host can take over 30 s to start the agent (BPF verification of every tracer).
  const agent = await startAgent({ config: { supervisor: { lookback: { enabled: on } } }, readyTimeoutMs: 120_000 });
  try {
    await sleep(o.settleSeconds * 1000);
    const load0 = loadAverage();
    const hits0 = (await agent.get<{ data: TracerView[] }>('/api/v1/tracers')).data.reduce((n, t) => n + t.hits, 0);
    const t0 = performance.now();
    const a = threadsOf(agent.pid);
    const ticks0 = sampleTree(agent.pid);
    await sleep(o.windowSeconds * 1000);
    const { data: tracers } = await agent.get<{ data: TracerView[] }>('/api/v1/tracers');
    const b = threadsOf(agent.pid);
    const ticks1 = sampleTree(agent.pid);
    const seconds = (performance.now() - t0) / 1000;
    const mainStart = b.find((t) => t.tid === agent.pid)?.startTicks ?? 0;
    const uptimeTicks = Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
    const roles = threadRoles(agent.pid, b, tracers, uptimeTicks - Math.round(seconds * 100));
    const before = new Map(a.map((t) => [t.tid, t.ns]));
    const threads = b.map((t) => ({ tid: t.tid, role: roles.get(t.tid)!, startS: (t.startTicks - mainStart) / 100, percent: (100 * (t.ns - (before.get(t.tid) ?? 0))) / 1e9 / seconds }));
    const byRole = new Map<string, number>();
    for (const t of threads) byRole.set(t.role, (byRole.get(t.role) ?? 0) + t.percent);
    // A thread that ended during the window is missing from `b`: its last run time is lost (an underestimate; none end in a steady agent).
    return { on, percent: threads.reduce((n, t) => n + t.percent, 0), tickPercent: cpuPercentBetween(ticks0, ticks1), byRole, threads, load: [load0, loadAverage()], eventsInWindow: tracers.reduce((n, t) => n + t.hits, 0) - hits0 };
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
  const r: LookbackBenchResult = { isolatedOn: [], isolatedOff: [], isolatedBpf: [], agentOn: [], agentOff: [], agentRounds: [], isolatedLoad: [], capturesDone: 0 };
  const stats = o.parts.includes('isolated') ? enableBpfStats() : undefined;
  try {
    for (let round = 0; stats !== undefined && round < o.rounds; round++) {
      // Alternate which mode goes first, so neither always follows the other.
      for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
        o.progress?.step(`isolated round ${round + 1}/${o.rounds}: sampler ${on ? 'on' : 'off'} (${o.windowSeconds} s)`);
        r.isolatedLoad.push(loadAverage());
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
      const measured = await agentRound(on, o);
      r.agentRounds.push(measured);
      (on ? r.agentOn : r.agentOff).push(measured.percent);
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

function pairedRole(r: LookbackBenchResult, role: string): number[] {
  const on = r.agentRounds.filter((x) => x.on);
  const off = r.agentRounds.filter((x) => !x.on);
  return on.flatMap((x, i) => (off[i] === undefined ? [] : [(x.byRole.get(role) ?? 0) - (off[i]!.byRole.get(role) ?? 0)]));
}

/** Markdown: median % of one core per thread role, look-back on vs off, and each round's total. */
export function perThreadTable(rounds: readonly AgentRound[]): string {
  const roles = [...new Set(rounds.flatMap((x) => [...x.byRole.keys()]))].sort((a, b) => (a === 'main thread' ? -1 : b === 'main thread' ? 1 : a.localeCompare(b)));
  const med = (on: boolean, role: string): number => median(rounds.filter((x) => x.on === on).map((x) => x.byRole.get(role) ?? 0));
  const lines = ['| thread | look-back on | look-back off | on − off |', '|---|---|---|---|'];
  for (const role of roles) lines.push(`| ${role} | ${fmt(med(true, role), 3)} % | ${fmt(med(false, role), 3)} % | ${fmt(med(true, role) - med(false, role), 3)} % |`);
  lines.push(`| **total** (schedstat, ns) | ${fmt(median(rounds.filter((x) => x.on).map((x) => x.percent)), 3)} % | ${fmt(median(rounds.filter((x) => !x.on).map((x) => x.percent)), 3)} % | |`);
  lines.push(`| total from utime+stime (10 ms ticks) | ${fmt(median(rounds.filter((x) => x.on).map((x) => x.tickPercent)), 3)} % | ${fmt(median(rounds.filter((x) => !x.on).map((x) => x.tickPercent)), 3)} % | |`);
  lines.push('', '| round | look-back | total % | main thread % | events fired in the window | load average (1 min) start → end |', '|---|---|---|---|---|---|');
  rounds.forEach((x, i) => lines.push(`| ${i + 1} | ${x.on ? 'on' : 'off'} | ${fmt(x.percent, 3)} | ${fmt(x.byRole.get('main thread') ?? 0, 3)} | ${x.eventsInWindow}${x.eventsInWindow > 0 ? ' (a capture ran: not steady state)' : ''} | ${fmt(x.load[0], 2)} → ${fmt(x.load[1], 2)} |`));
  return lines.join('\n');
}

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
    // Rounds are interleaved on/off in pairs: the pairwise difference cancels slow drifts of the host.
    const pairs = r.agentOn.map((x, i) => x - (r.agentOff[i] ?? Number.NaN)).filter(Number.isFinite);
    out.push(figure('agent CPU, look-back on − off (paired rounds), % of one core', '%', pairs));
    out.push(figure('agent main thread, look-back on − off (paired rounds), % of one core', '%', pairedRole(r, 'main thread')));
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
      windowSeconds: options.quick ? 5 : 30,
      settleSeconds: options.quick ? 10 : 45,
      captures: 20,
      parts: ['isolated', 'agent', 'rss'],
      progress: options.progress,
    });
    return {
      figures: figuresOf(r),
      notes: [
        'Isolated: this process with LookbackSampler at 19 Hz on every CPU (30 s window, kernel counts read every 5 s) vs without, modes alternating; CPU = process.cpuUsage + the BPF program run time (bpf_enable_stats); each figure the median over rounds.',
        'Agent: the real agent with default tracers, supervisor.lookback.enabled true vs false, a fresh agent per round (on/off interleaved, alternating which goes first) after a 45 s settle (V8 runs its post-start GCs 15–30 s after start); CPU = Σ over every thread of /proc/<pid>/task/<tid>/schedstat field 1 (ns) over a 30 s window.',
        'RSS: the real agent as the systemd unit runs it (MALLOC_ARENA_MAX=2; default tracers, cpusys captureSeconds 1), read 40 s after start (past the start-up trim), then after 20 manual cpusys triggers through the HTTP API and a settle time; VmRSS of the agent process (workers share it).',
      ],
    };
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      window: { type: 'string', default: '30' },
      settle: { type: 'string', default: '45' },
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
  if (r.isolatedOn.length > 0) console.log(`\nisolated on: ${r.isolatedOn.map((x) => fmt(x, 2)).join(', ')} %; off: ${r.isolatedOff.map((x) => fmt(x, 2)).join(', ')} %; load average at each round's start: ${r.isolatedLoad.map((x) => fmt(x, 2)).join(', ')}`);
  if (r.agentRounds.length > 0) {
    console.log(`\nagent, per thread (median over rounds, % of one core; window ${values.window} s after a ${values.settle} s settle):\n`);
    console.log(perThreadTable(r.agentRounds));
    const last = r.agentRounds.at(-1)!;
    console.log(`\nlast round (look-back ${last.on ? 'on' : 'off'}), every thread:\n\n| tid | started after main | role | % of one core |\n|---|---|---|---|`);
    for (const t of [...last.threads].sort((a, b) => b.percent - a.percent)) console.log(`| ${t.tid} | ${fmt(t.startS, 2)} s | ${t.role} | ${fmt(t.percent, 3)} |`);
  }
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
