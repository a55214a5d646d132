// One damaged record must not fail a whole listing: the API, `events --db` and `--all`
// skip it, count it and report its id. The damage is real bytes in the real LMDB file:
// the record's value is overwritten through lmdb itself (as a bad sector or a bug that
// wrote half a record would leave it), the rest of the store intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { open } from 'lmdb';
import { httpConfigSchema } from '../../src/config/schema.js';
import { startHttpServer } from '../../src/http/server.js';
import { AgentMetrics } from '../../src/metrics/agent-metrics.js';
import { parseTracerId } from '../../src/storage/ids.js';
import { EventStore, LMDB_FILE, storeOptionsFrom } from '../../src/storage/store.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { runCli } from '../cli/support.js';
import { actorPath, config, defer, makeEvents, tempDir, waitUntil } from './helpers.js';

async function storeWithOneBadRecord(dir: string): Promise<{ ids: string[]; bad: string }> {
  const store = EventStore.open(storeOptionsFrom(config({ path: dir, fsync: 'os' })));
  const ids = (await store.storeBatch(makeEvents(30))).tracerIds;
  await store.close();
  const bad = ids[12] as string;
  const env = open({ path: path.join(dir, LMDB_FILE), maxDbs: 16 });
  const events = env.openDB<Buffer, number>('events', { encoding: 'binary', compression: { threshold: 4096 } });
  // Keep the header (so the id still reads), break the JSON after it.
  const raw = events.get(parseTracerId(bad)!.seq)!;
  await events.put(parseTracerId(bad)!.seq, Buffer.concat([raw.subarray(0, 11 + raw[0]!), Buffer.from('{"hostname": "half a rec')]));
  await env.close();
  return { ids, bad };
}

test('a damaged record: store and CLI (page and --all) skip it, count it and report its id', async (t) => {
  const dir = tempDir(t);
  const { ids, bad } = await storeWithOneBadRecord(dir);

  const store = EventStore.open(storeOptionsFrom(config({ path: dir, fsync: 'os' })));
  defer(t, () => store.close());
  const page = store.query({ limit: 100 });
  assert.equal(page.events.length, ids.length - 1);
  assert.deepEqual(page.skipped?.map((s) => s.tracerId), [bad]);
  assert.equal(store.counters.corruptRecordsSkipped, 1);
  // Paging moves past it: small pages over the whole store miss nothing but the bad one.
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const p = store.query({ limit: 7, reverse: false, ...(cursor !== undefined ? { cursor } : {}) });
    seen.push(...p.events.map((e) => e.tracer_id));
    cursor = p.cursor;
  } while (cursor !== undefined);
  assert.deepEqual(seen, ids.filter((id) => id !== bad));
  await store.close();

  for (const args of [['events', '--db', dir, '--format', 'ndjson'], ['events', '--db', dir, '--format', 'ndjson', '--all', '--limit', '5']]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout.trim().split('\n').length, ids.length - 1);
    assert.ok(r.stderr.includes(bad), `the skipped id is reported: ${r.stderr}`);
  }
  const check = await runCli(['store', 'check', '--db', dir, '--format', 'json']);
  assert.equal(check.code, 1);
  assert.deepEqual((JSON.parse(check.stdout) as { records: { unreadable: { tracerId: string }[] } }).records.unreadable.map((u) => u.tracerId), [bad]);
});

test('a damaged record through the agent API: 200 with the rest, `skipped` names it, the metric counts it', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const { ids, bad } = await storeWithOneBadRecord(dir);
  const restart = { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0, budgetCount: 3, budgetWindowMs: 60_000, disabledInitialMs: 500, disabledMaxMs: 2000, healthyResetMs: 60_000 };
  const supervisor = new Supervisor({
    storage: { modulePath: actorPath, config: { path: dir, fsync: 'os' }, restart, heartbeatMs: 1000, missedHeartbeats: 5, shutdownMs: 5000, startTimeoutMs: 15_000, mailboxMaxEvents: 1000 },
    tracers: [],
  });
  defer(t, () => supervisor.stop());
  const metrics = new AgentMetrics({ status: () => supervisor.status(), host: 'h', region: 'r', defaultMetrics: false });
  const server = await startHttpServer({ agent: supervisor, metrics, config: httpConfigSchema.parse({ port: 0, token: 'test-token-0123456789abcdef' }), log: () => undefined });
  defer(t, () => server.close());
  await supervisor.start();

  const res = await fetch(`${server.url}/api/v1/events?limit=100`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: { tracer_id: string }[]; skipped: { seq: number; tracerId: string; reason: string }[] };
  assert.equal(body.data.length, ids.length - 1);
  assert.equal(body.skipped[0]?.tracerId, bad);
  assert.equal(body.skipped[0]?.seq, parseTracerId(bad)!.seq);
  await waitUntil(async () => /autotracer_storage_corrupt_records_skipped_total\{[^}]*\} 1/.test(await (await fetch(`${server.url}/metrics`)).text()), 5000, 'the skip counted in metrics', 200);
});
