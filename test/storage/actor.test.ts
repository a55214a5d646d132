// The storage actor as the supervisor sees it: a real worker thread, real LMDB files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { StorageReply } from '../../src/storage/protocol.js';
import { FakeElasticsearch } from '../support/fake-es.js';
import { fillFilesystem, mountTmpfs } from '../support/filesystem.js';
import { ActorHandle, config, defer, makeEvent, makeEvents, tempDir, waitUntil } from './helpers.js';

type Reply<T extends StorageReply['type']> = Extract<StorageReply, { type: T }>;

test('protocol: ready, store/get/query, ledger, heartbeat, metrics, stop', async (t) => {
  const fake = await FakeElasticsearch.start();
  defer(t, () => fake.close());
  const dir = tempDir(t);
  const actor = ActorHandle.start(t, config({ path: dir, hostname: 'h1', region: 'r1', elasticsearch: { urls: [fake.url], maxLatencyMs: 100 } }));
  await actor.next((r) => r.type === 'ready');

  const stored = (await actor.request({ type: 'store', events: makeEvents(3, { tracerName: 'dload' }) })) as Reply<'stored'>;
  assert.equal(stored.type, 'stored');
  assert.equal(stored.tracerIds.length, 3);

  const got = (await actor.request({ type: 'get', tracerId: stored.tracerIds[1] as string })) as Reply<'get-result'>;
  assert.equal(got.event?.tracer_id, stored.tracerIds[1]);
  assert.equal(got.event?.hostname, 'h1');
  const missing = (await actor.request({ type: 'get', tracerId: 'nope' })) as Reply<'get-result'>;
  assert.equal(missing.event, undefined);

  const q = (await actor.request({ type: 'query', query: { tracer: 'dload', limit: 2 } })) as Reply<'query-result'>;
  assert.deepEqual(q.events.map((e) => e.tracer_id), [stored.tracerIds[2], stored.tracerIds[1]]);
  assert.ok(q.cursor);

  const bad = (await actor.request({ type: 'store', events: [makeEvent(), { nonsense: true } as never] })) as Reply<'failed'>;
  assert.equal(bad.type, 'failed');
  assert.equal(bad.error.code, 'STORAGE_INVALID_EVENT');

  const entries = [{ tracer: 'cpusys', key: '', lastFired: 10, until: 20 }];
  assert.equal((await actor.request({ type: 'ledger-put', entries })).type, 'ledger-stored');
  assert.deepEqual(((await actor.request({ type: 'ledger-load' })) as Reply<'ledger'>).entries, entries);

  // Liveness: one heartbeat at boot with the worker's kernel task id (the supervisor reads its
  // CPU time from /proc/self/task/<tid>/stat), then heartbeats only in answer to pings.
  const boot = (await actor.next((r) => r.type === 'heartbeat')) as Reply<'heartbeat'>;
  assert.ok(boot.tid !== undefined && fs.existsSync(`/proc/self/task/${boot.tid}/stat`), `tid ${boot.tid} is a thread of this process`);
  assert.notEqual(boot.tid, process.pid, 'the worker thread, not the main thread');
  const pong = (await actor.ping()) as Reply<'heartbeat'>;
  assert.ok(pong.time >= boot.time);
  assert.equal(pong.tid, undefined, 'the thread id is sent once');
  const m = (await waitUntil(
    () => actor.replies.find((r): r is Reply<'metrics'> => r.type === 'metrics' && r.metrics.shipped === 3 && r.metrics.backlogEvents === 0),
    10_000,
    'metrics showing 3 shipped',
  ))!.metrics;
  assert.equal(m.eventsStored, 3);
  assert.equal(m.batchesWritten, 1);
  assert.ok(m.lmdbSizeBytes > 0);
  assert.equal(m.backlogAgeSeconds, 0);
  const latencies = actor.replies.flatMap((r) => (r.type === 'metrics' ? r.metrics.writeLatencySeconds : []));
  assert.equal(latencies.length, 1);
  assert.equal(fake.docCount(), 3);

  assert.equal(await actor.stop(), 0);
  // reopening the same store works (it was closed cleanly)
  const again = ActorHandle.start(t, config({ path: dir }));
  await again.next((r) => r.type === 'ready');
  const got2 = (await again.request({ type: 'get', tracerId: stored.tracerIds[0] as string })) as Reply<'get-result'>;
  assert.ok(got2.event);
  assert.equal(await again.stop(), 0);
});

async function expectUnavailable(t: Parameters<typeof tempDir>[0], storePath: string, code: string, pattern: RegExp): Promise<void> {
  const actor = ActorHandle.start(t, config({ path: storePath }));
  const r = (await actor.next((x) => x.type === 'unavailable' || x.type === 'ready')) as StorageReply;
  assert.equal(r.type, 'unavailable');
  const err = (r as Reply<'unavailable'>).error;
  assert.equal(err.code, code);
  assert.match(err.message, pattern);
  // it ends on its own, cleanly: nothing for a supervisor to restart in a loop
  assert.equal(await actor.exited, 0);
  assert.deepEqual(actor.replies.map((x) => x.type), ['unavailable']);
}

test('bad store path → unavailable STORAGE_BAD_PATH, clean exit', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'a-file'), 'x');
  await expectUnavailable(t, path.join(dir, 'a-file', 'events'), 'STORAGE_BAD_PATH', /a-file\/events is not usable/);
});

test('a store path on a pseudo file system (/proc) → STORAGE_BAD_PATH, not a hang', async (t) => {
  // Node's mkdirSync({recursive:true}) loops forever on /proc/<new>: the store must not use it.
  await expectUnavailable(t, '/proc/autotracer-test-store', 'STORAGE_BAD_PATH', /autotracer-test-store is not usable/);
});

test('unreadable LMDB file → unavailable STORAGE_UNREADABLE', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'events.mdb')); // a directory where the file should be
  await expectUnavailable(t, dir, 'STORAGE_UNREADABLE', /events\.mdb.*not a regular file/);
});

test('corrupt LMDB file → unavailable STORAGE_CORRUPT', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'events.mdb'), Buffer.alloc(64 * 1024, 0x5a));
  await expectUnavailable(t, dir, 'STORAGE_CORRUPT', /corrupt or not an LMDB file/);
});

test('invalid config → unavailable STORAGE_BAD_CONFIG', async (t) => {
  const actor = ActorHandle.start(t, { path: tempDir(t), bogus: 1 } as never);
  const r = (await actor.next((x) => x.type === 'unavailable')) as Reply<'unavailable'>;
  assert.equal(r.error.code, 'STORAGE_BAD_CONFIG');
  assert.equal(await actor.exited, 0);
});

test('unreadable Elasticsearch CA file → unavailable STORAGE_BAD_CONFIG (not a silent non-shipping agent)', async (t) => {
  const dir = tempDir(t);
  const actor = ActorHandle.start(t, config({ path: dir, elasticsearch: { urls: ['https://127.0.0.1:9200'], caFile: path.join(dir, 'missing-ca.pem') } }));
  const r = (await actor.next((x) => x.type === 'unavailable' || x.type === 'ready')) as Reply<'unavailable'>;
  assert.equal(r.type, 'unavailable');
  assert.equal(r.error.code, 'STORAGE_BAD_CONFIG');
  assert.match(r.error.message, /missing-ca\.pem is not readable/);
  assert.equal(await actor.exited, 0);
});

test('disk full (tmpfs): coded error, the actor stays up, recovers when space frees', { timeout: 60_000 }, async (t) => {
  const mnt = mountTmpfs('4m', (step) => defer(t, step));
  const actor = ActorHandle.start(t, config({ path: path.join(mnt, 'store') }));
  await actor.next((r) => r.type === 'ready');
  const acked = ((await actor.request({ type: 'store', events: makeEvents(10) })) as Reply<'stored'>).tracerIds;

  const filler = fillFilesystem(mnt);

  let failure: Reply<'failed'> | undefined;
  const big = { blob: 'z'.repeat(3000) + Math.random() };
  for (let i = 0; i < 200 && !failure; i++) {
    const r = await actor.request({ type: 'store', events: makeEvents(50, { data: big }) });
    if (r.type === 'failed') failure = r;
    else acked.push(...(r as Reply<'stored'>).tracerIds);
  }
  assert.ok(failure, 'a store failed once the disk was full');
  assert.equal(failure.error.code, 'STORAGE_DISK_FULL');
  assert.match(failure.error.message, /filesystem is full/);
  // still alive: it answers a ping and reads work
  await actor.ping();
  const got = (await actor.request({ type: 'get', tracerId: acked[0] as string })) as Reply<'get-result'>;
  assert.ok(got.event);

  fs.rmSync(filler);
  const after = await waitUntil(
    async () => {
      const r = await actor.request({ type: 'store', events: makeEvents(5) });
      return r.type === 'stored' ? r : undefined;
    },
    10_000,
    'a store to succeed after space was freed',
    200,
  );
  acked.push(...(after as Reply<'stored'>).tracerIds);
  for (const id of acked) {
    const r = (await actor.request({ type: 'get', tracerId: id })) as Reply<'get-result'>;
    assert.ok(r.event, `acked ${id} present`);
  }
  assert.deepEqual(actor.errors, []);
  assert.equal(await actor.stop(), 0);
});
