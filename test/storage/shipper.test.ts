// The ES shipper against the loopback fake (the real-cluster run is opt-in: test/opt-in/real-elasticsearch.optin.ts).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeElasticsearch } from '../support/fake-es.js';
import { defer, drained, makeEvents, startShipper as setup, waitUntil } from './helpers.js';

async function startFake(t: TestContext): Promise<FakeElasticsearch> {
  const fake = await FakeElasticsearch.start();
  defer(t, () => fake.close());
  return fake;
}

/** Every stored id is in the fake exactly once, and nothing else is. */
function assertExactlyOnce(fake: FakeElasticsearch, ids: string[]): void {
  const indexed = fake.allIds().sort();
  assert.equal(indexed.length, ids.length, `indexed ${indexed.length}, stored ${ids.length}`);
  assert.deepEqual(indexed, [...ids].sort());
  for (const id of ids) assert.equal(fake.stats.createdById.get(id), 1, `${id} created once`);
}


test('ships into daily indices after installing the template; cursor persisted', async (t) => {
  const fake = await startFake(t);
  const { store, shipper } = setup(t, fake.url, { indexPrefix: 'at' });
  const day1 = Date.UTC(2026, 1, 28, 23, 59, 59);
  const day2 = Date.UTC(2026, 2, 1, 0, 0, 1);
  const ids = [...(await store.storeBatch(makeEvents(5, { time: day1 }))).tracerIds, ...(await store.storeBatch(makeEvents(3, { time: day2 }))).tracerIds];
  await drained(store, 'outbox drained');
  assert.ok(fake.templates.has('at-events'));
  assert.deepEqual([...fake.indices.keys()].sort(), ['at-2026.02.28', 'at-2026.03.01']);
  assert.equal(fake.indices.get('at-2026.02.28')?.docs.size, 5);
  assert.ok(fake.indices.get('at-2026.03.01')?.mappings, 'index created with the template mappings');
  assertExactlyOnce(fake, ids);
  assert.equal(shipper.counters.shipped, 8);
  const src = fake.getDoc(ids[0] as string);
  assert.equal(src?.tracer_id, ids[0]);
  assert.equal(store.cursor > 0, true);
});

test('a lost response is replayed: 409 on create counts as success (exactly once)', async (t) => {
  const fake = await startFake(t);
  fake.faults.resetAfterBulkNext = 1;
  const { store, shipper } = setup(t, fake.url);
  const { tracerIds } = await store.storeBatch(makeEvents(20));
  await drained(store, 'drained after replay');
  assertExactlyOnce(fake, tracerIds);
  for (const id of tracerIds) assert.equal(fake.stats.attemptsById.get(id), 2, 'sent twice, created once');
  assert.equal(shipper.counters.shipped, 20);
  assert.equal(shipper.counters.retried, 20);
});

test('partial bulk failure: only the item-level 429s are retried', async (t) => {
  const fake = await startFake(t);
  const rejected = new Set<string>();
  fake.faults.itemStatus = (id, source) => {
    const n = (source.tracer_data as { n: number }).n;
    if (n % 4 === 0 && !rejected.has(id)) {
      rejected.add(id);
      return 429;
    }
    return undefined;
  };
  const { store, shipper } = setup(t, fake.url);
  const { tracerIds } = await store.storeBatch(makeEvents(40));
  await drained(store, 'drained');
  assert.equal(rejected.size, 10);
  for (const id of tracerIds) assert.equal(fake.stats.attemptsById.get(id), rejected.has(id) ? 2 : 1);
  assertExactlyOnce(fake, tracerIds);
  assert.equal(shipper.counters.retried, 10);
});

test('whole-request 503s and socket resets lose nothing', async (t) => {
  const fake = await startFake(t);
  fake.faults.failRequests = { status: 503, count: 3 };
  const { store, shipper } = setup(t, fake.url);
  const ids = (await store.storeBatch(makeEvents(30))).tracerIds;
  await drained(store, 'drained after 503s');
  fake.faults.resetNextRequests = 2;
  ids.push(...(await store.storeBatch(makeEvents(30))).tracerIds);
  await drained(store, 'drained after resets');
  fake.faults.failRequests = { status: 429, count: 2 };
  ids.push(...(await store.storeBatch(makeEvents(30))).tracerIds);
  await drained(store, 'drained after 429s');
  assertExactlyOnce(fake, ids);
  assert.ok(shipper.counters.failedRequests >= 7, `failed requests ${shipper.counters.failedRequests}`);
});

test('mapping errors are dead-lettered with the reason; shipping continues', async (t) => {
  const fake = await startFake(t);
  fake.faults.mappingErrorWhen = (source) => (source.tracer_data as { bad?: boolean } | null)?.bad === true;
  const { store, shipper } = setup(t, fake.url);
  const good1 = (await store.storeBatch(makeEvents(5))).tracerIds;
  const bad = (await store.storeBatch(makeEvents(2, { data: { bad: true } }))).tracerIds;
  const good2 = (await store.storeBatch(makeEvents(5))).tracerIds;
  await drained(store, 'drained');
  assertExactlyOnce(fake, [...good1, ...good2]);
  assert.equal(shipper.counters.deadLettered, 2);
  const letters = store.listDeadLetters();
  assert.deepEqual(letters.map((l) => l.tracerId).sort(), [...bad].sort());
  for (const l of letters) {
    assert.equal(l.status, 400);
    assert.match(l.reason, /^document_parsing_exception: failed to parse field|document_parsing_exception/);
    assert.equal(l.document.tracer_id, l.tracerId);
  }
  // later events still flow
  const good3 = (await store.storeBatch(makeEvents(3))).tracerIds;
  await drained(store, 'drained again');
  assertExactlyOnce(fake, [...good1, ...good2, ...good3]);
});

test('413: the request is split; a single oversized document is dead-lettered', async (t) => {
  const fake = await startFake(t);
  fake.faults.maxContentLength = 16 * 1024;
  const { store } = setup(t, fake.url);
  const ids = (await store.storeBatch(makeEvents(60, { data: { pad: 'p'.repeat(900) } }))).tracerIds;
  const huge = (await store.storeBatch(makeEvents(1, { data: { pad: 'h'.repeat(40 * 1024) } }))).tracerIds;
  await drained(store, 'drained');
  assertExactlyOnce(fake, ids);
  assert.deepEqual(store.listDeadLetters().map((l) => [l.tracerId, l.status]), [[huge[0], 413]]);
});

test('max latency is a real timer: a lone event waits at most maxLatencyMs, not for more events', async (t) => {
  const fake = await startFake(t);
  const { store } = setup(t, fake.url, { maxLatencyMs: 400 });
  await waitUntil(() => fake.templates.size === 1, 5000, 'template');
  const stored = Date.now();
  const { tracerIds } = await store.storeBatch(makeEvents(1));
  // keep a trickle going: an idle timer would never fire while this runs
  const trickle = setInterval(() => void store.storeBatch(makeEvents(1)), 50);
  defer(t, () => clearInterval(trickle));
  await waitUntil(() => fake.getDoc(tracerIds[0] as string), 5000, 'first event indexed');
  const took = Date.now() - stored;
  clearInterval(trickle);
  assert.ok(took >= 390, `sent after ${took} ms, before the latency window`);
  assert.ok(took < 5000);
});

test('ES unreachable at start: the template is retried and events drain when it comes up', async (t) => {
  const fake = await startFake(t);
  await fake.refuseConnections();
  const { store, shipper } = setup(t, fake.url);
  const ids = (await store.storeBatch(makeEvents(10))).tracerIds;
  await waitUntil(() => shipper.lastError !== undefined, 5000, 'a failure noted');
  assert.equal(shipper.templateInstalled, false);
  await fake.acceptConnections();
  await drained(store, 'drained after ES came up');
  assert.equal(shipper.templateInstalled, true);
  assertExactlyOnce(fake, ids);
});

// The scenario is a 60 s outage; AUTOTRACER_TEST_ES_OUTAGE_S shortens it while developing.
const outageSeconds = Number(process.env.AUTOTRACER_TEST_ES_OUTAGE_S ?? '60');

test(`ES down for ${outageSeconds} s while events flow (refused → 503 → recovers): zero loss, zero duplicates`, { timeout: (outageSeconds + 60) * 1000 }, async (t) => {
  const fake = await startFake(t);
  const { store, shipper } = setup(t, fake.url, { backoff: { initialMs: 100, maxMs: 1000 } });
  const ids: string[] = [];
  let producing = true;
  const producer = (async () => {
    while (producing) {
      ids.push(...(await store.storeBatch(makeEvents(20))).tracerIds);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  defer(t, () => {
    producing = false;
  });
  await waitUntil(() => shipper.counters.shipped > 0, 5000, 'shipping started');
  const failedBefore = shipper.counters.failedRequests;
  await fake.refuseConnections();
  await new Promise((r) => setTimeout(r, (outageSeconds * 1000) / 2));
  fake.faults.failRequests = { status: 503, count: Number.MAX_SAFE_INTEGER, all: true };
  await fake.acceptConnections();
  await new Promise((r) => setTimeout(r, (outageSeconds * 1000) / 2));
  assert.ok(store.backlog > 0, 'a backlog built up during the outage');
  // The backoff holds although a new batch arrives every ~20 ms (new events must not cut a
  // backoff short): 100 ms doubling to 1 s allows about one attempt per second per request.
  const attempts = shipper.counters.failedRequests - failedBefore;
  assert.ok(attempts > 0 && attempts <= 2 * (outageSeconds + 10), `${attempts} failed attempts during a ${outageSeconds} s outage`);
  fake.faults.failRequests = undefined;
  await new Promise((r) => setTimeout(r, 500));
  producing = false;
  await producer;
  await drained(store, 'backlog back to 0', 30_000);
  assert.equal(store.backlog, 0);
  assertExactlyOnce(fake, ids);
  assert.ok(shipper.counters.failedRequests > 0);
});
