// bench/storage: (1) events/s from a producer through the storage actor (worker postMessage
// `store` batches, waiting for the `stored` acks) into LMDB, against raw LMDB puts of the same
// documents in the same run; (2) ES shipping docs/s from the LMDB outbox into the loopback fake
// (the fake runs in its own worker thread so it does not share the shipper's event loop).
// Median of several runs; prints a table. bench/run.ts uses runStorage() through the
// `pipeline` and `shipping` benchmarks.
//   node dist/bench/storage.js [--runs 3] [--events 100000] [--batch 256] [--fsync commit|os] [--only store|ship]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { open } from 'lmdb';
import { storageConfigSchema } from '../src/storage/config.js';
import type { StorageReply, StorageRequest } from '../src/storage/protocol.js';
import { eventDataJson, type EventInput } from '../src/event/index.js';
import { buildDocumentHead } from '../src/storage/document.js';
import { EventStore, storeOptionsFrom } from '../src/storage/store.js';
import { EsShipper } from '../src/storage/shipper.js';
import { FakeElasticsearch } from '../test/support/fake-es.js';
import { isEntry } from './lib/entry.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, median, withBaseline, type Figure } from './lib/stats.js';
import type { BenchOptions, Benchmark } from './lib/types.js';

const actorPath = fileURLToPath(new URL('../src/storage/actor.js', import.meta.url));
const IN_FLIGHT = 4; // batches outstanding, like a few tracer actors

/** An event as a tracer hands it to ctx.save(): `data` is still an object. */
type SavedEvent = Omit<EventInput, 'dataJson'> & { data: unknown };

function makeBatch(size: number, offset: number): SavedEvent[] {
  const now = Date.now();
  return Array.from({ length: size }, (_, i) => ({
    tracerName: `tracer${(offset + i) % 5}`,
    tracerType: 'autotracing' as const,
    time: now,
    container: { id: `c${(offset + i) % 20}`.padEnd(64, '0'), hostname: 'pod', type: 'normal', qos: 'burstable' },
    data: { pid: 1000 + i, comm: 'worker', usage: Math.random() * 100, stack: ['a', 'b', 'c', 'd'].map((f) => `${f}_function+0x1f/0x80`) },
  }));
}

/** What the actor runtime does in ctx.save() before the event leaves the tracer's thread. */
function toWire(batch: SavedEvent[]): EventInput[] {
  return batch.map(({ data, ...rest }) => ({ ...rest, dataJson: eventDataJson(data) }));
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
        // The document as lmdb-js stores an object by default (msgpack), data included.
        const head = buildDocumentHead(e, { hostname: 'h', region: 'r', storedMs: Date.now(), tracerId: String(seq) });
        last = db.put(seq, { ...head, tracer_data: e.data });
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
      // The timed part includes serialising the data, as each ctx.save() does in its tracer.
      worker.postMessage({ type: 'store', reqId: id, events: toWire(evs) } satisfies StorageRequest);
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
    for (let i = 0; i < events; i += 1000) await store.storeBatch(toWire(makeBatch(Math.min(1000, events - i), i)));
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

export interface StorageBenchOptions {
  runs: number;
  /** Events per store run (raw and through the actor). */
  events: number;
  batch: number;
  fsync: 'commit' | 'os';
  /** Documents per shipping run. */
  shipEvents: number;
  /** Which half to run. */
  only: 'store' | 'ship' | 'both';
  progress?: Progress;
}

export interface StorageBenchRuns {
  raw: number[];
  actor: number[];
  ship: number[];
}

/** Raw vs actor (alternating order per run) and shipping, `runs` times each; every value in /s. */
export async function runStorage(o: StorageBenchOptions): Promise<StorageBenchRuns> {
  const raw: number[] = [];
  const actor: number[] = [];
  const ship: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    if (o.only !== 'ship') {
      // alternate the order so neither side always runs on a warmer/cooler machine
      o.progress?.step(`store run ${r + 1}/${o.runs} (${o.events} events, raw and through the actor)`);
      if (r % 2 === 0) {
        raw.push(await rawLmdb(o.events, o.batch, o.fsync));
        actor.push(await throughActor(o.events, o.batch, o.fsync));
      } else {
        actor.push(await throughActor(o.events, o.batch, o.fsync));
        raw.push(await rawLmdb(o.events, o.batch, o.fsync));
      }
    }
    if (o.only !== 'store') {
      o.progress?.step(`shipping run ${r + 1}/${o.runs} (${o.shipEvents} docs into the loopback fake ES)`);
      ship.push(await shipping(o.shipEvents));
    }
  }
  return { raw, actor, ship };
}

/** Pipeline figures for the report: actor events/s against raw LMDB puts (target >= 50 %). */
export function pipelineFigures(r: StorageBenchRuns, o: StorageBenchOptions): Figure[] {
  const base = figure(`raw LMDB puts (batch ${o.batch}, fsync ${o.fsync}, ${o.events} events)`, 'events/s', r.raw);
  const actor = withBaseline(
    figure('through the storage actor, acked', 'events/s', r.actor, { target: { on: 'ratio', op: '>=', value: 0.5 } }),
    'raw LMDB puts',
    r.raw,
  );
  return [base, actor];
}

export function shippingFigures(r: StorageBenchRuns, o: StorageBenchOptions): Figure[] {
  return [figure(`ES shipping into the loopback fake (${o.shipEvents} docs, drained from the LMDB outbox)`, 'docs/s', r.ship, { target: { on: 'value', op: '>=', value: 50_000 } })];
}

export function storageOptions(runOptions: BenchOptions, only: StorageBenchOptions['only']): StorageBenchOptions {
  return {
    runs: runOptions.runs,
    events: runOptions.quick ? 10_000 : 100_000,
    batch: 256,
    fsync: 'commit',
    shipEvents: runOptions.quick ? 20_000 : 200_000,
    only,
    progress: runOptions.progress,
  };
}

/** The pipeline benchmark for bench/run.ts. */
export const pipelineBenchmark: Benchmark = {
  name: 'pipeline',
  title: 'Pipeline: events/s into LMDB through the storage actor vs raw LMDB puts',
  async run(options) {
    const o = storageOptions(options, 'store');
    const r = await runStorage(o);
    return {
      figures: pipelineFigures(r, o),
      notes: [`${IN_FLIGHT} batches of ${o.batch} in flight (like a few tracer actors); the actor's figure counts an event when its batch's \`stored\` ack is back, and its timed part includes serialising each event's data on the producer's thread, as ctx.save() does in a tracer; raw = lmdb-js puts of the same documents as objects (msgpack, data included), awaiting the commit (fsync ${o.fsync}). Runs alternate which side goes first.`],
    };
  },
};

/** The ES shipping benchmark for bench/run.ts. */
export const shippingBenchmark: Benchmark = {
  name: 'shipping',
  title: 'Elasticsearch shipping: docs/s into the loopback fake',
  async run(options) {
    const o = storageOptions(options, 'ship');
    const r = await runStorage(o);
    return {
      figures: shippingFigures(r, o),
      notes: ['The outbox is filled first, then the real @elastic/elasticsearch bulk shipper drains it into test/support/fake-es.ts (own worker thread, 127.0.0.1).'],
    };
  },
};

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
  const o: StorageBenchOptions = {
    runs: Number(values.runs),
    events: Number(values.events),
    batch: Number(values.batch),
    fsync: values.fsync === 'os' ? 'os' : 'commit',
    shipEvents: Number(values['ship-events']),
    only: values.only === 'ship' ? 'ship' : values.only === 'store' ? 'store' : 'both',
    progress: stderrProgress('storage:'),
  };
  const { raw, actor, ship } = await runStorage(o);
  const runs = o.runs;
  const fmt = (xs: number[], unit: string): string => (xs.length > 0 ? `${median(xs).toFixed(0)} ${unit}` : 'not run');
  const rows: [string, string, string][] = [
    [`raw LMDB puts (batch ${o.batch}, fsync ${o.fsync})`, fmt(raw, 'events/s'), runs > 1 ? raw.map((x) => x.toFixed(0)).join(' ') : ''],
    [`through the storage actor, acked`, fmt(actor, 'events/s'), actor.map((x) => x.toFixed(0)).join(' ')],
    ['actor / raw (target >= 50 %)', raw.length > 0 ? `${((median(actor) / median(raw)) * 100).toFixed(1)} %` : 'not run', ''],
    [`ES shipping into the loopback fake (${o.shipEvents} docs)`, fmt(ship, 'docs/s'), ship.map((x) => x.toFixed(0)).join(' ')],
    ['shipping target', '>= 50000 docs/s', ''],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`bench/storage — median of ${runs} runs, ${o.events} events per store run, node ${process.version}, ${os.cpus().length} CPUs`);
  console.log(`${'measure'.padEnd(w0)} | ${'median'.padEnd(w1)} | runs`);
  console.log(`${'-'.repeat(w0)}-|-${'-'.repeat(w1)}-|-----`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c}`);
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'fake-es') {
  const fake = await FakeElasticsearch.start();
  parentPort!.postMessage({ url: fake.url });
} else if (isEntry(import.meta.url)) {
  await main();
}
