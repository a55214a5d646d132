// bench/restart: how fast a crashed tracer actor is back, thread vs process, and what an
// actor costs in memory.
//   node dist/bench/restart.js [crashesPerCase=50]
// - crash → first heartbeat: the supervisor sees the actor exit → the new actor's first
//   heartbeat (its runtime is up). The restart policy delay is set to 1 ms so the figure is
//   the runtime's own cost; production adds the 1 s… 30 s backoff on top.
// - crash → BPF re-attached: exit seen → the new actor has opened, loaded and attached
//   build/bpf/sched_count.bpf.o (tp_btf/sched_switch) and reported it.
// - memory per actor: RSS of the agent (plus its children) with N idle actors, minus the
//   agent with none, divided by N.
// bench/run.ts runs it through restartBenchmark (runRestart).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Isolation } from '../src/actors/protocol.js';
import { tracerSpec, type StorageSpec, type TracerSpec } from '../src/supervisor/spec.js';
import { Supervisor } from '../src/supervisor/supervisor.js';
import type { TracerEvent } from '../src/supervisor/events.js';
import { defaultRestartPolicy } from '../src/supervisor/restart-policy.js';
import { isEntry } from './lib/entry.js';
import type { Progress } from './lib/progress.js';
import { figure, percentile, withBaseline, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const fixtures = (name: string) => fileURLToPath(new URL(`../test/fixtures/tracers/${name}.js`, import.meta.url));
const memoryStorage = fileURLToPath(new URL('../test/fixtures/supervisor/memory-storage.js', import.meta.url));
const immediateRestart = { ...defaultRestartPolicy, initialDelayMs: 1, maxDelayMs: 1, jitter: 0, budgetCount: 1_000_000 };

function storage(dir: string): StorageSpec {
  return {
    modulePath: memoryStorage, config: { path: dir }, restart: { ...defaultRestartPolicy }, heartbeatMs: 1000,
    missedHeartbeats: 3, shutdownMs: 5000, startTimeoutMs: 10_000, mailboxMaxEvents: 100_000,
  };
}

async function withSupervisor<T>(tracers: TracerSpec[], body: (s: Supervisor, events: TracerEvent[]) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-bench-'));
  const supervisor = new Supervisor({ storage: storage(dir), tracers });
  const events: TracerEvent[] = [];
  supervisor.on('tracer', (e) => events.push(e));
  try {
    await supervisor.start();
    return await body(supervisor, events);
  } finally {
    await supervisor.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('benchmark timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Latencies from each crash to the first matching event after it. */
function latencies(events: TracerEvent[], after: (e: TracerEvent) => number | undefined): number[] {
  const out: number[] = [];
  const crashes = events.filter((e): e is Extract<TracerEvent, { type: 'crash' }> => e.type === 'crash');
  for (const crash of crashes) {
    const next = events.map(after).find((t) => t !== undefined && t >= crash.at);
    if (next !== undefined) out.push(next - crash.at);
  }
  return out;
}

async function crashToHeartbeat(isolation: Isolation, crashesPerCase: number): Promise<number[]> {
  const spec = tracerSpec({ name: 'ondemand', modulePath: fixtures('crash-on-demand'), isolation, restart: immediateRestart, settings: { crashAfterMs: 150 } });
  return withSupervisor([spec], async (_s, events) => {
    await until(() => events.filter((e) => e.type === 'crash').length >= crashesPerCase + 1, 120_000);
    return latencies(events, (e) => (e.type === 'heartbeat' ? e.receivedAt : undefined)).slice(0, crashesPerCase);
  });
}

async function crashToAttached(isolation: Isolation, crashesPerCase: number): Promise<number[]> {
  const spec = tracerSpec({ name: 'schedcount', modulePath: fixtures('bpf-sched-count'), isolation, restart: immediateRestart, settings: { crashAfterMs: 150 } });
  return withSupervisor([spec], async (_s, events) => {
    await until(() => events.filter((e) => e.type === 'crash').length >= crashesPerCase + 1, 120_000);
    return latencies(events, (e) => (e.type === 'log' && e.msg === 'attached' ? (e.fields as { at: number }).at : undefined)).slice(0, crashesPerCase);
  });
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

async function memoryPerActor(isolation: Isolation, count: number): Promise<number> {
  const settle = async () => {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 1500));
  };
  const baseline = await withSupervisor([], async () => {
    await settle();
    return rssOf(process.pid);
  });
  const specs = Array.from({ length: count }, (_, i) =>
    tracerSpec({ name: `idle${i}`, modulePath: fixtures('idle'), isolation }),
  );
  return withSupervisor(specs, async (s) => {
    await settle();
    const children = s.status().actors.filter((a) => a.kind === 'tracer' && a.pid !== undefined && a.pid !== process.pid).map((a) => rssOf(a.pid!));
    const total = rssOf(process.pid) + children.reduce((a, b) => a + b, 0);
    return (total - baseline) / count;
  });
}

export interface RestartBenchOptions {
  crashesPerCase: number;
  /** Idle actors for the memory-per-actor figure. */
  memoryActors: number;
  progress?: Progress;
}

export interface RestartBenchResult {
  /** Latencies in ms per isolation and measure. */
  latencies: Record<Isolation, { heartbeat: number[]; attached: number[] }>;
  /** RSS per idle actor in bytes. */
  memoryPerActor: Record<Isolation, number>;
}

export async function runRestart(o: RestartBenchOptions): Promise<RestartBenchResult> {
  const latenciesBy = {} as RestartBenchResult['latencies'];
  const memory = {} as RestartBenchResult['memoryPerActor'];
  for (const isolation of ['thread', 'process'] as const) {
    o.progress?.step(`${isolation}: ${o.crashesPerCase} crashes → first heartbeat`);
    const heartbeat = await crashToHeartbeat(isolation, o.crashesPerCase);
    o.progress?.step(`${isolation}: ${o.crashesPerCase} crashes → BPF re-attached`);
    const attached = await crashToAttached(isolation, o.crashesPerCase);
    latenciesBy[isolation] = { heartbeat, attached };
  }
  for (const isolation of ['thread', 'process'] as const) {
    o.progress?.step(`${isolation}: RSS of ${o.memoryActors} idle actors`);
    memory[isolation] = await memoryPerActor(isolation, o.memoryActors);
  }
  return { latencies: latenciesBy, memoryPerActor: memory };
}

/** The restart benchmark for bench/run.ts: p50 is the figure's median, p95 in its note. */
export const restartBenchmark: Benchmark = {
  name: 'restart',
  title: 'Restart latency after a crash, thread vs process isolation',
  async run(options) {
    const o: RestartBenchOptions = { crashesPerCase: options.quick ? 5 : 40, memoryActors: options.quick ? 4 : 8, progress: options.progress };
    const r = await runRestart(o);
    const figures: Figure[] = [];
    for (const measure of ['heartbeat', 'attached'] as const) {
      const label = measure === 'heartbeat' ? 'crash → first heartbeat' : 'crash → BPF re-attached';
      const thread = r.latencies.thread[measure];
      const proc = r.latencies.process[measure];
      figures.push(figure(`${label} (thread)`, 'ms', thread, { note: `p95 ${percentile(thread, 95).toFixed(0)} ms, ${thread.length} crashes` }));
      figures.push(withBaseline(figure(`${label} (process)`, 'ms', proc, { note: `p95 ${percentile(proc, 95).toFixed(0)} ms, ${proc.length} crashes` }), `${label} (thread)`, thread));
    }
    for (const isolation of ['thread', 'process'] as const) {
      figures.push(figure(`RSS per idle actor (${isolation}, ${o.memoryActors} actors)`, 'MiB', [r.memoryPerActor[isolation] / 1024 / 1024]));
    }
    return {
      figures,
      notes: [
        'Here the "runs" are the crashes of one case: median = p50 over them; p95 in the note. Restart policy delay set to 1 ms, so the figure is the runtime\'s own cost (production adds its 1 s … 30 s backoff).',
        'crash → BPF re-attached: the new actor has opened, loaded and attached build/bpf/sched_count.bpf.o (tp_btf/sched_switch).',
      ],
    };
  },
};

async function main(): Promise<void> {
  const crashesPerCase = Number(process.argv[2] ?? 50);
  const r = await runRestart({ crashesPerCase, memoryActors: 8 });
  const rows: string[][] = [];
  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  for (const isolation of ['thread', 'process'] as const) {
    const { heartbeat: hb, attached: bpf } = r.latencies[isolation];
    rows.push([isolation, 'crash → first heartbeat', String(hb.length), fmt(percentile(hb, 50)), fmt(percentile(hb, 95))]);
    rows.push([isolation, 'crash → BPF re-attached', String(bpf.length), fmt(percentile(bpf, 50)), fmt(percentile(bpf, 95))]);
  }
  const memRows = (['thread', 'process'] as const).map((isolation) => [isolation, `${(r.memoryPerActor[isolation] / 1024 / 1024).toFixed(1)} MiB`]);
  const table = (header: string[], body: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
    const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  };
  console.log(`bench/restart (node ${process.version}, ${crashesPerCase} crashes per case, restart delay 1 ms)\n`);
  console.log(table(['isolation', 'measure', 'n', 'p50', 'p95'], rows));
  console.log('');
  console.log(table(['isolation', 'RSS per idle actor (8 actors)'], memRows));
}

if (isEntry(import.meta.url)) await main();
