// bench/http-listing: how long /healthz takes while GET /api/v1/events streams a big listing
// (issue #12 item 5: one 430 MB listing once blocked /healthz for 4.2 s; target < 100 ms).
// A real LMDB store is filled with profile-sized events, a real Supervisor + HTTP server
// serve it on loopback, and /healthz is probed every 5 ms from a worker thread while another
// worker downloads one listing (neither shares the agent's event loop, nor each other's).
// Prints a table: listing mode, bytes, listing time, probes, p50/p99/max /healthz latency.
//   node dist/bench/http-listing.js [--events 60] [--mib 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { httpConfigSchema } from '../src/config/schema.js';
import { startHttpServer } from '../src/http/server.js';
import { AgentMetrics } from '../src/metrics/agent-metrics.js';
import { storageConfigSchema } from '../src/storage/config.js';
import { eventDataJson } from '../src/event/index.js';
import { EventStore, storeOptionsFrom } from '../src/storage/store.js';
import { Supervisor } from '../src/supervisor/supervisor.js';

const storageModule = fileURLToPath(new URL('../src/storage/actor.js', import.meta.url));
const restart = { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0, budgetCount: 5, budgetWindowMs: 60_000, disabledInitialMs: 500, disabledMaxMs: 2000, healthyResetMs: 60_000 };

interface ProbeResult { latencies: number[]; listingBytes: number; listingMs: number }

/** Worker 'listing': downloads the listing. Worker 'probe': probes /healthz until told to stop. */
async function runWorker(role: 'listing' | 'probe', base: string, path: string): Promise<void> {
  if (role === 'listing') {
    const t0 = performance.now();
    const body = await (await fetch(`${base}${path}`)).arrayBuffer();
    parentPort!.postMessage({ listingBytes: body.byteLength, listingMs: performance.now() - t0 });
    return;
  }
  let stop = false;
  parentPort!.once('message', () => (stop = true));
  const latencies: number[] = [];
  while (!stop) {
    const p0 = performance.now();
    await (await fetch(`${base}/healthz`)).text();
    latencies.push(performance.now() - p0);
    await new Promise((r) => setTimeout(r, 5));
  }
  parentPort!.postMessage({ latencies });
}

/** The listing and the prober in two threads, so the prober never waits on the download. */
async function measure(base: string, path: string): Promise<ProbeResult> {
  const worker = (role: string): Worker => new Worker(fileURLToPath(import.meta.url), { workerData: { role, base, path } });
  const message = <T>(w: Worker): Promise<T> => new Promise<T>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  const prober = worker('probe');
  const probed = message<{ latencies: number[] }>(prober);
  await new Promise((r) => setTimeout(r, 200));
  const lister = worker('listing');
  const listed = await message<{ listingBytes: number; listingMs: number }>(lister);
  prober.postMessage('stop');
  const { latencies } = await probed;
  await Promise.all([prober.terminate(), lister.terminate()]);
  return { latencies, ...listed };
}

if (!isMainThread) {
  const { role, base, path } = workerData as { role: 'listing' | 'probe'; base: string; path: string };
  await runWorker(role, base, path);
} else {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '60' }, mib: { type: 'string', default: '2' } } });
  const events = Number(values.events);
  const mib = Number(values.mib);
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-bench-listing-'));
  const db = join(dir, 'lmdb');
  try {
    const store = EventStore.open(storeOptionsFrom(storageConfigSchema.parse({ path: db, fsync: 'os' })));
    const line = 'main;worker;compute;spin 1\n';
    const folded = line.repeat(Math.ceil((mib * 2 ** 20) / line.length));
    for (let i = 0; i < events; i++) {
      await store.storeBatch([{ tracerName: 'cpusys', tracerType: 'manual', time: Date.now(), dataJson: eventDataJson({ system_percent: 71, folded }) }]);
    }
    await store.close();
    const supervisor = new Supervisor({
      storage: { modulePath: storageModule, config: { path: db, fsync: 'os' }, restart, heartbeatMs: 1000, missedHeartbeats: 5, shutdownMs: 5000, startTimeoutMs: 30_000, mailboxMaxEvents: 10_000 },
      tracers: [],
    });
    const metrics = new AgentMetrics({ status: () => supervisor.status(), host: 'bench', region: '', defaultMetrics: false });
    const server = await startHttpServer({ agent: supervisor, metrics, config: httpConfigSchema.parse({ port: 0, token: 'bench-token-0123456789abcdef', tokenFile: join(dir, 'token'), maxPageBytes: 512 * 2 ** 20 }) });
    await supervisor.start();
    const rows: string[] = [];
    for (const [mode, path] of [['summary', `/api/v1/events?limit=${events}`], ['full', `/api/v1/events?fields=full&limit=${events}`]] as const) {
      const r = await measure(server.url, path);
      const sorted = [...r.latencies].sort((a, b) => a - b);
      const q = (p: number): string => (sorted.length === 0 ? '-' : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1));
      rows.push(`| ${mode.padEnd(7)} | ${(r.listingBytes / 2 ** 20).toFixed(1).padStart(8)} | ${r.listingMs.toFixed(0).padStart(10)} | ${String(sorted.length).padStart(6)} | ${q(0.5).padStart(7)} | ${q(0.99).padStart(7)} | ${(sorted.at(-1) ?? 0).toFixed(1).padStart(7)} |`);
    }
    console.log(`${events} events of ${mib} MiB folded text each\n`);
    console.log('| listing | MiB sent | listing ms | probes | p50 ms  | p99 ms  | max ms  |');
    console.log('|---------|----------|------------|--------|---------|---------|---------|');
    for (const r of rows) console.log(r);
    await server.close();
    await supervisor.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
