// The storage actor: a worker_threads entry (dist/src/storage/actor.js), the only LMDB writer.
// A thin shell around the library modules: it speaks StorageRequest/StorageReply over
// parentPort, runs the shipper and retention, and reports metrics every second (liveness: a
// boot heartbeat, then answers to the supervisor's pings — supervisor/liveness.ts).
//
// Start-up failure (bad path, unreadable or corrupt LMDB, invalid config): it posts
// `unavailable` with the coded error and then ends *normally* (exit code 0, nothing left
// running). Retrying cannot fix any of those, so the supervisor should treat `unavailable` as
// fatal-but-clear and not restart it; a clean exit makes a crash loop impossible by design.
// Runtime write failures (disk full) are answered with `failed` + code and the actor stays up.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../common/coded-error.js';
import { CodedError } from '../common/coded-error.js';
import type { StorageConfig } from './config.js';
import type { StorageMetrics, StorageReply, StorageRequest } from './protocol.js';
import { EventStore, storeOptionsFrom } from './store.js';
import type { EsShipper } from './shipper.js';
import { applyRetention } from './retention.js';
import { currentThreadId } from '../common/cpu-time.js';

const REPORT_INTERVAL_MS = 1000;

if (!parentPort) throw new Error('storage actor must run in a worker thread');

// lmdb-js attaches a second rejected promise (`commitError`) to a failed commit and rejects
// the environment's internal commit promises too. The failure itself is reported to the caller
// that awaited the write (as STORAGE_DISK_FULL / STORAGE_WRITE_FAILED); those internal
// rejections must not kill the only LMDB writer. Anything else is a bug and still crashes.
process.on('unhandledRejection', (reason) => {
  if (isLmdbCommitFailure(reason)) return;
  throw reason;
});

function isLmdbCommitFailure(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  if ('commitError' in reason) return true;
  const stack = reason.stack ?? '';
  return /node_modules\/lmdb\/write\.js/.test(stack);
}

// lmdb-js also console.error()s the write error (with its stack) before it rejects the
// commit. That error is already answered to the supervisor, which reports the degraded
// state once; a stack per failed batch would flood the log of a full disk.
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]): void => {
  if (args.length === 1 && isLmdbWriteError(args[0])) return;
  consoleError(...args);
};

function isLmdbWriteError(value: unknown): boolean {
  return value instanceof Error && /node_modules\/lmdb\/write\.js/.test(value.stack ?? '') && /No space left|ENOSPC|Attempting to write page/.test(value.message);
}

const port = parentPort;

function post(reply: StorageReply): void {
  port.postMessage(reply);
}

class BadConfigError extends CodedError {
  constructor(message: string) {
    super('STORAGE_BAD_CONFIG', `invalid storage config: ${message}`);
  }
}

/**
 * `validated: true` comes from the agent, which parsed the whole config file in the main
 * thread (config/load.ts): this worker then never loads zod (its measured cost: docs/runtime.md,
 * "Settings and zod"). Anyone else (tests, embedders) passes raw config and pays for the parse here.
 */
async function readConfig(): Promise<StorageConfig> {
  const data = workerData as { config?: unknown; validated?: boolean } | null;
  let config: StorageConfig;
  if (data?.validated === true) config = data.config as StorageConfig;
  else {
    const { storageConfigSchema } = await import('./config.js');
    const parsed = storageConfigSchema.safeParse(data?.config ?? {});
    if (!parsed.success) throw new BadConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    config = parsed.data;
  }
  const caFile = config.elasticsearch?.caFile;
  if (caFile !== undefined) {
    // A missing CA bundle would otherwise only surface as a warning while nothing ships.
    try {
      fs.accessSync(caFile, fs.constants.R_OK);
    } catch (err) {
      throw new BadConfigError(`elasticsearch.caFile ${caFile} is not readable: ${serializeError(err).message}`);
    }
  }
  return config;
}

async function main(): Promise<void> {
  let config: StorageConfig;
  let store: EventStore;
  try {
    config = await readConfig();
    store = EventStore.open(storeOptionsFrom(config));
  } catch (err) {
    post({ type: 'unavailable', error: serializeError(err) });
    return; // nothing keeps the thread alive: it exits 0
  }
  // The shipper (and the ES client, ~1 s to import on a loaded host) is loaded after `ready`:
  // events stored meanwhile wait in the LMDB outbox, which the shipper drains when it starts.
  let shipper: EsShipper | undefined;
  const shipperLoading = config.elasticsearch ? startShipper(store, config.elasticsearch) : undefined;
  void shipperLoading?.then(
    (s) => {
      shipper = s;
      if (stopping) return;
      store.onStored = () => s.notify();
      s.start();
    },
    (err: unknown) => console.warn(`[storage] cannot start the Elasticsearch shipper: ${serializeError(err).message}`),
  );

  const inFlight = new Set<Promise<unknown>>();
  let latencies: number[] = [];
  let stopping = false;
  let retentionRun: Promise<unknown> | undefined;

  const runRetention = (): void => {
    if (retentionRun || stopping) return;
    retentionRun = applyRetention(store, config.retention)
      .catch((err: unknown) => console.warn(`[storage] retention failed: ${serializeError(err).message}`))
      .finally(() => {
        retentionRun = undefined;
      });
  };

  // One heartbeat at boot, with the thread id; afterwards the supervisor watches this
  // thread's event loop from the main thread and pings it only when the loop shows no idle
  // time (supervisor/liveness.ts).
  const tid = currentThreadId();
  post({ type: 'heartbeat', time: Date.now(), ...(tid !== undefined ? { tid } : {}) });
  const metricsTimer = setInterval(() => {
    const observed = latencies;
    latencies = [];
    post({ type: 'metrics', metrics: collectMetrics(store, config, shipper, observed) });
  }, REPORT_INTERVAL_MS);
  const retentionTimer = setInterval(runRetention, config.retention.intervalMs);

  const track = (p: Promise<unknown>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const handle = async (msg: StorageRequest): Promise<void> => {
    switch (msg.type) {
      case 'store': {
        try {
          const batch = await store.storeBatch(msg.events);
          latencies.push(batch.latencySeconds);
          post({ type: 'stored', reqId: msg.reqId, tracerIds: batch.tracerIds });
        } catch (err) {
          post({ type: 'failed', reqId: msg.reqId, error: serializeError(err) });
        }
        return;
      }
      case 'query':
        reply(msg.reqId, () => ({ type: 'query-result', reqId: msg.reqId, ...store.query(msg.query) }));
        return;
      case 'get':
        reply(msg.reqId, () => {
          const event = store.get(msg.tracerId);
          return event ? { type: 'get-result', reqId: msg.reqId, event } : { type: 'get-result', reqId: msg.reqId };
        });
        return;
      case 'ledger-load':
        reply(msg.reqId, () => ({ type: 'ledger', reqId: msg.reqId, entries: store.ledgerLoad() }));
        return;
      case 'ledger-put':
        try {
          await store.ledgerPut(msg.entries);
          post({ type: 'ledger-stored', reqId: msg.reqId });
        } catch (err) {
          post({ type: 'failed', reqId: msg.reqId, error: serializeError(err) });
        }
        return;
      case 'stop':
        await stop();
        return;
      case 'ping': // answered in onMessage, even while stopping
        return;
      default: {
        const _never: never = msg;
        void _never;
      }
    }
  };

  const reply = (reqId: number, build: () => StorageReply): void => {
    try {
      post(build());
    } catch (err) {
      post({ type: 'failed', reqId, error: serializeError(err) });
    }
  };

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    port.off('message', onMessage);
    clearInterval(metricsTimer);
    clearInterval(retentionTimer);
    await Promise.allSettled([...inFlight]);
    await retentionRun;
    await shipperLoading?.catch(() => undefined);
    await shipper?.stop();
    post({ type: 'metrics', metrics: collectMetrics(store, config, shipper, latencies) });
    await store.close();
    post({ type: 'stopped' });
    // Nothing is left referenced: the worker ends with exit code 0.
  };

  const onMessage = (msg: StorageRequest): void => {
    if (msg.type === 'ping') {
      post({ type: 'heartbeat', time: Date.now() });
      return;
    }
    if (stopping) {
      if (msg.type !== 'stop') post({ type: 'failed', reqId: msg.reqId, error: serializeError(new CodedError('STORAGE_STOPPING', 'the storage actor is stopping')) });
      return;
    }
    track(handle(msg));
  };
  port.on('message', onMessage);
  post({ type: 'ready' });
  runRetention();
}

async function startShipper(store: EventStore, es: NonNullable<StorageConfig['elasticsearch']>): Promise<EsShipper> {
  const { EsShipper } = await import('./shipper.js');
  return new EsShipper(store, es);
}

function collectMetrics(store: EventStore, config: StorageConfig, shipper: EsShipper | undefined, writeLatencySeconds: number[]): StorageMetrics {
  const shipping = config.elasticsearch !== undefined;
  const oldest = shipping && store.backlog > 0 ? store.oldestUnshippedMs() : undefined;
  return {
    eventsStored: store.counters.eventsStored,
    batchesWritten: store.counters.batchesWritten,
    writeLatencySeconds,
    lmdbSizeBytes: store.fileBytes(),
    // Without Elasticsearch nothing is waiting to be shipped.
    backlogEvents: shipping ? store.backlog : 0,
    backlogAgeSeconds: oldest !== undefined ? Math.max(0, (Date.now() - oldest) / 1000) : 0,
    shipped: shipper?.counters.shipped ?? 0,
    retried: shipper?.counters.retried ?? 0,
    deadLettered: shipper?.counters.deadLettered ?? 0,
    evicted: store.counters.evicted,
    evictedBeforeShipped: store.counters.evictedBeforeShipped,
    corruptRecordsSkipped: store.counters.corruptRecordsSkipped,
  };
}

void main();
