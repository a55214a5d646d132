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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Isolation } from '../src/actors/protocol.js';
import { tracerSpec, type StorageSpec, type TracerSpec } from '../src/supervisor/spec.js';
import { Supervisor } from '../src/supervisor/supervisor.js';
import type { TracerEvent } from '../src/supervisor/tracer-child.js';
import { defaultRestartPolicy } from '../src/supervisor/restart-policy.js';

const crashesPerCase = Number(process.argv[2] ?? 50);
const fixtures = (name: string) => fileURLToPath(new URL(`../test/fixtures/tracers/${name}.js`, import.meta.url));
const memoryStorage = fileURLToPath(new URL('../test/fixtures/supervisor/memory-storage.js', import.meta.url));
const immediateRestart = { ...defaultRestartPolicy, initialDelayMs: 1, maxDelayMs: 1, jitter: 0, budgetCount: 1_000_000 };

function storage(dir: string): StorageSpec {
  return {
    modulePath: memoryStorage, config: { path: dir }, restart: { ...defaultRestartPolicy }, heartbeatMs: 1000,
    missedHeartbeats: 3, shutdownMs: 5000, startTimeoutMs: 10_000, mailboxMaxEvents: 100_000,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
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

async function crashToHeartbeat(isolation: Isolation): Promise<number[]> {
  const spec = tracerSpec({ name: 'ondemand', modulePath: fixtures('crash-on-demand'), isolation, restart: immediateRestart, settings: { crashAfterMs: 150 } });
  return withSupervisor([spec], async (_s, events) => {
    await until(() => events.filter((e) => e.type === 'crash').length >= crashesPerCase + 1, 120_000);
    return latencies(events, (e) => (e.type === 'heartbeat' ? e.receivedAt : undefined)).slice(0, crashesPerCase);
  });
}

async function crashToAttached(isolation: Isolation): Promise<number[]> {
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

const rows: string[][] = [];
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
for (const isolation of ['thread', 'process'] as const) {
  const hb = await crashToHeartbeat(isolation);
  rows.push([isolation, 'crash → first heartbeat', String(hb.length), fmt(percentile(hb, 50)), fmt(percentile(hb, 95))]);
  const bpf = await crashToAttached(isolation);
  rows.push([isolation, 'crash → BPF re-attached', String(bpf.length), fmt(percentile(bpf, 50)), fmt(percentile(bpf, 95))]);
}
const memRows: string[][] = [];
for (const isolation of ['thread', 'process'] as const) {
  const perActor = await memoryPerActor(isolation, 8);
  memRows.push([isolation, `${(perActor / 1024 / 1024).toFixed(1)} MiB`]);
}

const table = (header: string[], body: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
};
console.log(`bench/restart (node ${process.version}, ${crashesPerCase} crashes per case, restart delay 1 ms)\n`);
console.log(table(['isolation', 'measure', 'n', 'p50', 'p95'], rows));
console.log('');
console.log(table(['isolation', 'RSS per idle actor (8 actors)'], memRows));
