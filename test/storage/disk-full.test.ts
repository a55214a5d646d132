// Full disk during a run, on real parts: the real storage actor on a 4 MB tmpfs, a real
// tracer actor that awaits every save, the real HTTP server on loopback. Storage goes
// `degraded: disk full` (in /readyz, the status model and metrics); the tracer is neither
// crashed nor disabled, its events wait in the mailbox, and once the filler is removed
// they are written and every acknowledged event is in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpConfigSchema } from '../../src/config/schema.js';
import { startHttpServer } from '../../src/http/server.js';
import { AgentMetrics } from '../../src/metrics/agent-metrics.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { runCli } from '../cli/support.js';
import { fillFilesystem, mountTmpfs } from '../support/filesystem.js';
import { actorPath, defer, waitUntil } from './helpers.js';

const saverPath = fileURLToPath(new URL('../fixtures/storage/steady-saver.js', import.meta.url));
const restart = { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0, budgetCount: 3, budgetWindowMs: 60_000, disabledInitialMs: 500, disabledMaxMs: 2000, healthyResetMs: 60_000 };

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('disk full during a run: storage degraded, tracers untouched, held events written when space returns', { timeout: 120_000 }, async (t) => {
  const mnt = mountTmpfs('4m', (step) => defer(t, step));
  const supervisor = new Supervisor({
    storage: {
      modulePath: actorPath, config: { path: path.join(mnt, 'store'), fsync: 'os', retention: { intervalMs: 3_600_000 } }, restart,
      heartbeatMs: 1000, missedHeartbeats: 5, shutdownMs: 5000, startTimeoutMs: 15_000, mailboxMaxEvents: 100_000,
    },
    tracers: [tracerSpec({ name: 'steady-saver', modulePath: saverPath, restart, shutdownMs: 3000, killAfterMs: 1000, batch: { maxEvents: 64, maxDelayMs: 20 } })],
  });
  const acked: string[] = [];
  const crashes: TracerEvent[] = [];
  supervisor.on('tracer', (e) => {
    if (e.type === 'stored') acked.push(...e.tracerIds);
    if (e.type === 'crash') crashes.push(e);
  });
  defer(t, () => supervisor.stop());
  const metrics = new AgentMetrics({ status: () => supervisor.status(), host: 'h', region: 'r', defaultMetrics: false });
  const server = await startHttpServer({ agent: supervisor, metrics, config: httpConfigSchema.parse({ port: 0, token: 'test-token-0123456789abcdef' }), log: () => undefined });
  defer(t, () => server.close());
  await supervisor.start();

  await waitUntil(() => acked.length >= 50, 15_000, 'events stored before the disk fills');
  assert.equal((await get(`${server.url}/readyz`)).status, 200);

  const filler = fillFilesystem(mnt);
  const degraded = await waitUntil(async () => {
    const r = await get(`${server.url}/readyz`);
    return r.status === 503 ? (JSON.parse(r.body) as { data: { storage: { state: string; reason: string }; notReady: { state: string }[] } }).data : undefined;
  }, 30_000, '/readyz to report the full disk');
  assert.ok(degraded);
  assert.equal(degraded.storage.state, 'degraded');
  assert.equal(degraded.storage.reason, 'disk full');
  assert.equal(degraded.notReady[0]?.state, 'degraded');
  assert.equal(supervisor.status().storage?.degraded?.code, 'STORAGE_DISK_FULL');
  const status = await runCli(['status', '--api', server.url]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /NOT READY/);
  assert.match(status.stdout, /storage: degraded \(disk full since /);
  const scrape = (await get(`${server.url}/metrics`)).body;
  assert.ok(metricValue(scrape, 'autotracer_storage_write_failures_total{reason="disk_full"') >= 1, 'write failures counted');
  assert.equal(metricValue(scrape, 'autotracer_storage_degraded{reason="disk full"'), 1);

  // A few seconds of full disk: the tracer keeps running, nothing counts against it.
  const ackedWhileFull = acked.length;
  await new Promise((r) => setTimeout(r, 3000));
  const tracer = supervisor.tracerStatus('steady-saver');
  assert.equal(tracer.state, 'running');
  assert.equal(tracer.restarts, 0, `tracer restarts: ${JSON.stringify(tracer.lastError)}`);
  assert.deepEqual(crashes, []);
  assert.ok(supervisor.status().mailbox.queuedEvents > 0, 'events wait in the mailbox');
  assert.ok(acked.length - ackedWhileFull < 200, 'hardly anything is acknowledged while the disk is full');

  fs.rmSync(filler);
  await waitUntil(async () => (await get(`${server.url}/readyz`)).status === 200, 20_000, '/readyz ready again');
  await waitUntil(() => supervisor.status().mailbox.queuedEvents === 0, 20_000, 'the mailbox to drain');
  const after = acked.length;
  await waitUntil(() => acked.length > after + 20, 15_000, 'new events stored after recovery');
  assert.equal(supervisor.status().mailbox.droppedEvents, 0);
  assert.equal(supervisor.tracerStatus('steady-saver').restarts, 0);

  // Every acknowledged event is in the store.
  const missing: string[] = [];
  for (const id of acked.slice()) if ((await supervisor.getEvent(id)) === undefined) missing.push(id);
  assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged events missing`);
});
