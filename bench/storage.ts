// bench/storage: (1) events/s from a producer through the storage actor (worker postMessage
// `store` batches, waiting for the `stored` acks) into LMDB, against raw LMDB puts of the same
// documents in the same run; (2) ES shipping docs/s from the LMDB outbox into the loopback fake
// (the fake runs in its own worker thread so it does not share the shipper's event loop).
// Median of several runs; prints a table.
//   node dist/bench/storage.js [--runs 3] [--events 100000] [--batch 256] [--fsync commit|os]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { open } from 'lmdb';
import { storageConfigSchema } from '../src/storage/config.js';
import type { EventInput, StorageReply, StorageRequest } from '../src/storage/protocol.js';
import { buildDocument } from '../src/storage/document.js';
import { EventStore, storeOptionsFrom } from '../src/storage/store.js';
import { EsShipper } from '../src/storage/shipper.js';
import { FakeElasticsearch } from '../test/support/fake-es.js';

const actorPath = fileURLToPath(new URL('../src/storage/actor.js', import.meta.url));
const IN_FLIGHT = 4; // batches outstanding, like a few tracer actors

function makeBatch(size: number, offset: number): EventInput[] {
  const now = Date.now();
  return Array.from({ length: size }, (_, i) => ({
    tracerName: `tracer${(offset + i) % 5}`,
    tracerType: 'autotracing' as const,
    time: now,
    container: { id: `c${(offset + i) % 20}`.padEnd(64, '0'), hostname: 'pod', type: 'normal', qos: 'burstable' },
    data: { pid: 1000 + i, comm: 'worker', usage: Math.random() * 100, stack: ['a', 'b', 'c', 'd'].map((f) => `${f}_function+0x1f/0x80`) },
  }));
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'autotracer-bench-'));
}

/** Raw lmdb-js: the same documents, one put per event, batches issued in one turn. */
async function rawLmdb(events: number, batch: number, fsync: 'commit' | 'os'): Promise<number> {
  const dir = tempDir();
  try {
    const env = open({ path: path.join(dir, 'raw.mdb'), maxDbs: 4, noSync: fsync === 'os' });
    const db = env.openDB<unknown, number>('events', { compression: { threshold: 4096 } });
    const batches = Array.from({ length: Math.ceil(events / batch) }, (_, b) => makeBatch(batch, b * batch));
    let seq = 0;
    const started = performance.now();
    let inFlight: Promise<unknown>[] = [];
    for (const evs of batches) {
      let last: Promise<boolean> | undefined;
      for (const e of evs) {
        seq++;
        last = db.put(seq, buildDocument(e, { hostname: 'h', region: 'r', storedMs: Date.now(), tracerId: String(seq) }));
      }
      inFlight.push(fsync === 'commit' ? last!.then(() => env.flushed) : last!);
      if (inFlight.length >= IN_FLIGHT) {
        await inFlight.shift();
      }
    }
    await Promise.all(inFlight);
    inFlight = [];
    const seconds = (performance.now() - started) / 1000;
    await env.close();
    return seq / seconds;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Through the actor: postMessage batches, wait for `stored`. */
async function throughActor(events: number, batch: number, fsync: 'commit' | 'os'): Promise<number> {
  const dir = tempDir();
  const worker = new Worker(actorPath, { workerData: { config: storageConfigSchema.parse({ path: dir, fsync }) } });
  try {
    const pending = new Map<number, () => void>();
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (r: StorageReply) => {
        if (r.type === 'ready') resolve();
        else if (r.type === 'unavailable') reject(new Error(r.error.message));
        else if (r.type === 'stored' || r.type === 'failed') {
          if (r.type === 'failed') reject(new Error(r.error.message));
          pending.get(r.reqId)?.();
          pending.delete(r.reqId);
        }
      });
    });
    const batches = Array.from({ length: Math.ceil(events / batch) }, (_, b) => makeBatch(batch, b * batch));
    let reqId = 0;
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (const evs of batches) {
      const id = ++reqId;
      inFlight.push(new Promise<void>((resolve) => pending.set(id, resolve)));
      worker.postMessage({ type: 'store', reqId: id, events: evs } satisfies StorageRequest);
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - started) / 1000;
    const stopped = new Promise<void>((resolve) => worker.on('message', (r: StorageReply) => r.type === 'stopped' && resolve()));
    worker.postMessage({ type: 'stop' } satisfies StorageRequest);
    await stopped;
    return (batches.length * batch) / seconds;
  } finally {
    await worker.terminate();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Shipping: fill an outbox, then time the shipper draining it into the fake. */
async function shipping(events: number): Promise<number> {
  const dir = tempDir();
  const fakeWorker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'fake-es' } });
  try {
    const url = await new Promise<string>((resolve) => fakeWorker.once('message', (m: { url: string }) => resolve(m.url)));
    const cfg = storageConfigSchema.parse({ path: dir, fsync: 'os', elasticsearch: { urls: [url] } });
    const store = EventStore.open(storeOptionsFrom(cfg));
    for (let i = 0; i < events; i += 1000) await store.storeBatch(makeBatch(Math.min(1000, events - i), i));
    const shipper = new EsShipper(store, cfg.elasticsearch!, { log: () => {} });
    const started = performance.now();
    shipper.start();
    while (store.backlog > 0) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - started) / 1000;
    const shipped = shipper.counters.shipped;
    await shipper.stop();
    await store.close();
    if (shipped !== events) throw new Error(`shipped ${shipped} of ${events}`);
    return events / seconds;
  } finally {
    await fakeWorker.terminate();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      events: { type: 'string', default: '100000' },
      batch: { type: 'string', default: '256' },
      fsync: { type: 'string', default: 'commit' },
      'ship-events': { type: 'string', default: '200000' },
      only: { type: 'string', default: '' },
    },
  });
  const runs = Number(values.runs);
  const events = Number(values.events);
  const batch = Number(values.batch);
  const fsync = values.fsync === 'os' ? 'os' : 'commit';
  const shipEvents = Number(values['ship-events']);

  const raw: number[] = [];
  const actor: number[] = [];
  const ship: number[] = [];
  for (let r = 0; r < runs; r++) {
    // alternate the order so neither side always runs on a warmer/cooler machine
    if (values.only === 'ship') {
      ship.push(await shipping(shipEvents));
      continue;
    }
    if (r % 2 === 0) {
      raw.push(await rawLmdb(events, batch, fsync));
      actor.push(await throughActor(events, batch, fsync));
    } else {
      actor.push(await throughActor(events, batch, fsync));
      raw.push(await rawLmdb(events, batch, fsync));
    }
    ship.push(await shipping(shipEvents));
    process.stderr.write(`run ${r + 1}/${runs}: raw ${raw.at(-1)?.toFixed(0)}/s, actor ${actor.at(-1)?.toFixed(0)}/s, ship ${ship.at(-1)?.toFixed(0)} docs/s\n`);
  }
  const fmt = (xs: number[], unit: string): string => (xs.length > 0 ? `${median(xs).toFixed(0)} ${unit}` : 'not run');
  const rows: [string, string, string][] = [
    [`raw LMDB puts (batch ${batch}, fsync ${fsync})`, fmt(raw, 'events/s'), runs > 1 ? raw.map((x) => x.toFixed(0)).join(' ') : ''],
    [`through the storage actor, acked`, fmt(actor, 'events/s'), actor.map((x) => x.toFixed(0)).join(' ')],
    ['actor / raw (target >= 50 %)', raw.length > 0 ? `${((median(actor) / median(raw)) * 100).toFixed(1)} %` : 'not run', ''],
    [`ES shipping into the loopback fake (${shipEvents} docs)`, fmt(ship, 'docs/s'), ship.map((x) => x.toFixed(0)).join(' ')],
    ['shipping target', '>= 50000 docs/s', ''],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`bench/storage — median of ${runs} runs, ${events} events per store run, node ${process.version}, ${os.cpus().length} CPUs`);
  console.log(`${'measure'.padEnd(w0)} | ${'median'.padEnd(w1)} | runs`);
  console.log(`${'-'.repeat(w0)}-|-${'-'.repeat(w1)}-|-----`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c}`);
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'fake-es') {
  const fake = await FakeElasticsearch.start();
  parentPort!.postMessage({ url: fake.url });
} else if (isMainThread) {
  await main();
}
