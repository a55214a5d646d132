import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EventStore, storeOptionsFrom } from '../../src/storage/store.js';
import { parseTracerId } from '../../src/storage/ids.js';
import type { EventInput } from '../../src/event/index.js';
import { config, makeEvent, openStore, tempDir } from './helpers.js';

test('a batch is stored, numbered and readable by id', async (t) => {
  const dir = tempDir(t);
  const store = openStore(t, { path: dir, hostname: 'host-a', region: 'eu' });
  const { tracerIds } = await store.storeBatch([makeEvent(), makeEvent({ tracerName: 'dload' })]);
  assert.equal(tracerIds.length, 2);
  assert.ok((tracerIds[0] as string) < (tracerIds[1] as string));
  const doc = store.get(tracerIds[1] as string);
  assert.equal(doc?.tracer_name, 'dload');
  assert.equal(doc?.hostname, 'host-a');
  assert.equal(doc?.region, 'eu');
  assert.equal(doc?.tracer_id, tracerIds[1]);
  assert.equal(store.get('0000000000000-000000000001-deadbeef'), undefined);
  assert.equal(store.counters.eventsStored, 2);
});

test('an invalid event fails the whole batch and stores nothing', async (t) => {
  const store = openStore(t, { path: tempDir(t) });
  // As it could arrive over the worker boundary, where nothing is type-checked.
  const fromTheWire: unknown[] = [makeEvent(), { tracerName: '' }];
  await assert.rejects(store.storeBatch(fromTheWire as EventInput[]), { code: 'STORAGE_INVALID_EVENT' });
  assert.equal(store.query({}).events.length, 0);
});

test('sequence continues after reopen: ids are never reused', async (t) => {
  const dir = tempDir(t);
  const s1 = EventStore.open(storeOptionsFrom(config({ path: dir })));
  const a = await s1.storeBatch([makeEvent(), makeEvent()]);
  await s1.close();
  const s2 = openStore(t, { path: dir });
  const b = await s2.storeBatch([makeEvent()]);
  const seqA = parseTracerId(a.tracerIds[1] as string);
  const seqB = parseTracerId(b.tracerIds[0] as string);
  assert.equal(seqB?.seq, (seqA?.seq ?? 0) + 1);
  assert.equal(seqB?.hostTag, seqA?.hostTag);
  assert.ok(s2.get(a.tracerIds[0] as string));
});

test('queries by time range, tracer and container with limit and cursor, both directions', async (t) => {
  const store = openStore(t, { path: tempDir(t) });
  const base = Date.UTC(2026, 5, 1);
  const events = Array.from({ length: 30 }, (_, i) =>
    makeEvent({ time: base + i * 1000, tracerName: i % 2 === 0 ? 'even' : 'odd', ...(i % 3 === 0 ? { container: { id: 'c3' } } : {}) }),
  );
  await store.storeBatch(events);
  const times = (docs: { tracer_time: string }[]): number[] => docs.map((d) => (Date.parse(d.tracer_time) - base) / 1000);

  // newest first by default; [from, to)
  assert.deepEqual(times(store.query({ from: base + 5000, to: base + 9000 }).events), [8, 7, 6, 5]);
  assert.deepEqual(times(store.query({ from: base + 5000, to: base + 9000, reverse: false }).events), [5, 6, 7, 8]);

  // paging with a cursor visits everything exactly once
  for (const reverse of [true, false]) {
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = store.query({ tracer: 'even', limit: 4, reverse, ...(cursor ? { cursor } : {}) });
      seen.push(...times(r.events));
      cursor = r.cursor;
      if (!cursor) break;
    }
    const expected = Array.from({ length: 15 }, (_, i) => i * 2);
    assert.deepEqual(seen, reverse ? expected.reverse() : expected);
  }

  assert.deepEqual(times(store.query({ containerId: 'c3', reverse: false }).events), [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
  assert.deepEqual(times(store.query({ containerId: 'c3', tracer: 'even', reverse: false }).events), [0, 6, 12, 18, 24]);
  assert.deepEqual(times(store.query({ containerId: 'c3', from: base + 10_000, to: base + 19_000, reverse: false }).events), [12, 15, 18]);
  assert.throws(() => store.query({ cursor: 'garbage' }), { code: 'STORAGE_BAD_CURSOR' });
});

test('large tracer_data (flame graphs) is compressed on disk', async (t) => {
  const dir = tempDir(t);
  const store = openStore(t, { path: dir });
  const folded = Array.from({ length: 2000 }, (_, i) => `main;run;loop;work_${i % 50};leaf ${i}`).join('\n');
  const rawBytes = folded.length * 40;
  for (let i = 0; i < 40; i++) await store.storeBatch([makeEvent({ data: { folded } })]);
  const fileBytes = fs.statSync(path.join(dir, 'events.mdb')).size;
  assert.ok(fileBytes < rawBytes / 3, `file ${fileBytes} B should be far below the raw ${rawBytes} B`);
  const back = store.query({ limit: 1 }).events[0];
  assert.equal((back?.tracer_data as { folded: string }).folded, folded);
});

test('cooldown ledger persists across reopen', async (t) => {
  const dir = tempDir(t);
  const s1 = EventStore.open(storeOptionsFrom(config({ path: dir })));
  await s1.ledgerPut([
    { tracer: 'cpusys', key: '', lastFired: 1, until: 2 },
    { tracer: 'memburst', key: 'c1', lastFired: 3, until: 4 },
  ]);
  await s1.ledgerPut([{ tracer: 'cpusys', key: '', lastFired: 5, until: 6 }]);
  await s1.close();
  const s2 = openStore(t, { path: dir });
  assert.deepEqual(s2.ledgerLoad(), [
    { tracer: 'cpusys', key: '', lastFired: 5, until: 6 },
    { tracer: 'memburst', key: 'c1', lastFired: 3, until: 4 },
  ]);
});
