import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRetention } from '../../src/storage/retention.js';
import { makeEvent, makeEvents, openStore, tempDir } from './helpers.js';

const DAY = 86_400_000;

test('age: events older than maxAgeDays are evicted, unshipped ones counted', async (t) => {
  const now = Date.UTC(2026, 10, 27);
  const store = openStore(t, { path: tempDir(t), elasticsearch: { urls: ['http://127.0.0.1:9'] } });
  const old = await store.storeBatch([makeEvent({ time: now - 9 * DAY }), makeEvent({ time: now - 8 * DAY })], now);
  const fresh = await store.storeBatch([makeEvent({ time: now - 6 * DAY }), makeEvent({ time: now - 1000 })], now);
  // the first of the old ones was shipped, the second not
  const firstSeq = Number((old.tracerIds[0] as string).split('-')[1]);
  await store.advanceShipCursor(firstSeq, 1, []);

  const r = await applyRetention(store, { maxAgeDays: 7, maxSizeBytes: 1024 ** 3 }, now);
  assert.equal(r.expired, 2);
  for (const id of old.tracerIds) assert.equal(store.get(id), undefined);
  for (const id of fresh.tracerIds) assert.ok(store.get(id));
  assert.equal(store.counters.evicted, 2);
  assert.equal(store.counters.evictedBeforeShipped, 1);
  assert.equal(store.backlog, 2);
  // the secondary indexes were cleaned too
  assert.equal(store.query({ reverse: false }).events.length, 2);
  assert.equal(store.query({ tracer: 'cpusys' }).events.length, 2);
});

test('size: shipped events go first, unshipped only when the cap forces it', async (t) => {
  const store = openStore(t, { path: tempDir(t), elasticsearch: { urls: ['http://127.0.0.1:9'] } });
  const payload = 'x'.repeat(1500); // below the compression threshold: predictable size
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(...(await store.storeBatch(makeEvents(50, { data: { payload, i } }))).tracerIds);
  const seqOf = (id: string): number => Number(id.split('-')[1]);
  // ship the first 600 of 1000
  await store.advanceShipCursor(seqOf(ids[599] as string), 600, []);
  const full = store.usedBytes();

  // a cap at ~70 % can be met by evicting shipped events only
  await applyRetention(store, { maxAgeDays: 7, maxSizeBytes: Math.floor(full * 0.7) });
  assert.ok(store.usedBytes() <= full * 0.7);
  assert.equal(store.counters.evictedBeforeShipped, 0);
  assert.ok(store.counters.evicted > 0);
  assert.equal(store.get(ids[0] as string), undefined, 'oldest shipped evicted first');
  assert.ok(store.get(ids[999] as string));
  const survivors = ids.filter((id) => store.get(id) !== undefined);
  // what survives is a contiguous newest suffix
  assert.deepEqual(survivors, ids.slice(ids.length - survivors.length));

  // a cap at ~20 % needs unshipped events too: oldest unshipped go, and are counted
  await applyRetention(store, { maxAgeDays: 7, maxSizeBytes: Math.floor(full * 0.2) });
  assert.ok(store.usedBytes() <= full * 0.2);
  assert.ok(store.counters.evictedBeforeShipped > 0);
  assert.equal(store.backlog, 400 - store.counters.evictedBeforeShipped);
  assert.ok(store.get(ids[999] as string), 'newest event kept');
});

test('without Elasticsearch nothing is evicted-before-shipped', async (t) => {
  const now = Date.now();
  const store = openStore(t, { path: tempDir(t) });
  await store.storeBatch([makeEvent({ time: now - 30 * DAY })], now);
  const r = await applyRetention(store, { maxAgeDays: 7, maxSizeBytes: 1024 ** 3 }, now);
  assert.equal(r.expired, 1);
  assert.equal(store.counters.evictedBeforeShipped, 0);
});

test('dead letters have their own retention: by age and by count, oldest first', async (t) => {
  const now = Date.UTC(2026, 10, 27);
  const store = openStore(t, { path: tempDir(t), elasticsearch: { urls: ['http://127.0.0.1:9'] } });
  const batch = await store.storeBatch(makeEvents(6), now);
  const seqs = batch.tracerIds.map((id) => Number(id.split('-')[1]));
  const doc = store.get(batch.tracerIds[0] as string)!;
  // Six dead letters: two 40 days old, four recent.
  const letters = seqs.map((seq, i) => ({ seq, tracerId: batch.tracerIds[i] as string, index: 'x', status: 400, reason: 'mapper_parsing_exception', at: now - (i < 2 ? 40 : 1) * DAY, document: doc }));
  await store.advanceShipCursor(seqs[5] as number, 6, letters);
  assert.equal(store.deadLetterCount(), 6);

  // Without their own limits (an old policy object) they stay forever.
  assert.equal((await applyRetention(store, { maxAgeDays: 7, maxSizeBytes: 1024 ** 3 }, now)).deadLettersRemoved, 0);
  // Age: the two old ones go.
  const byAge = await applyRetention(store, { maxAgeDays: 7, maxSizeBytes: 1024 ** 3, deadLetterMaxAgeDays: 30, deadLetterMaxCount: 100 }, now);
  assert.equal(byAge.deadLettersRemoved, 2);
  assert.deepEqual(store.listDeadLetters().map((d) => d.seq), seqs.slice(2));
  // Count: the oldest beyond the cap go.
  const byCount = await applyRetention(store, { maxAgeDays: 7, maxSizeBytes: 1024 ** 3, deadLetterMaxAgeDays: 30, deadLetterMaxCount: 3 }, now);
  assert.equal(byCount.deadLettersRemoved, 1);
  assert.deepEqual(store.listDeadLetters().map((d) => d.seq), seqs.slice(3));
  // The events themselves are untouched by dead-letter retention.
  for (const id of batch.tracerIds) assert.ok(store.get(id));
});
