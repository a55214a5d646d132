// The Elasticsearch shipper: drains the LMDB outbox (events after the ship cursor) with
// `_bulk` `create` requests.
//
// Guarantees, and why:
// - It only ever sends what is committed in LMDB, and moves the cursor (in LMDB) only after a
//   response has been handled, so a crash replays the last request; the deterministic `_id`
//   makes the replay a 409, which counts as success → each event exactly once in the index.
// - Max latency is a real timer: a request leaves at most `maxLatencyMs` after the oldest
//   pending event was stored, or at once when a full request (`maxBytesPerRequest`) is pending.
//   While a backlog drains, two requests are in flight; the cursor still moves in order.
// - Whole-request failures (connection refused/reset, timeouts, 429, 5xx, anything without an
//   item list) back off with jitter (500 ms doubling to 30 s) and retry forever. Item-level
//   429/5xx are retried alone. Other item errors (mapping/parse, 400-class) are permanent and
//   go to the dead-letter database with the reason.
// - The client's own retries are off (maxRetries 0), so this backoff is the only one.
// - ES unreachable at start is not an error: the template install is retried like a request,
//   and nothing is shipped before it succeeds (indices must get the explicit mappings).
import fs from 'node:fs';
import { Client, errors as esErrors, type ClientOptions } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from './config.js';
import type { DeadLetter, EventStore } from './store.js';
import { Backoff } from './backoff.js';
import { indexTemplateBody, templateName } from './es-index.js';

export interface ShipperCounters {
  /** Documents ES acknowledged (created, or 409 = already there). */
  shipped: number;
  /** Document sends that had to be repeated (whole-request failures count every document). */
  retried: number;
  deadLettered: number;
  requests: number;
  failedRequests: number;
}

export interface ShipperOptions {
  /** Where state changes are reported (first failure, recovery). */
  log?: (message: string) => void;
  random?: () => number;
}

interface PendingDoc {
  seq: number;
  id: string;
  index: string;
  /** The action line, newline-terminated (index and id are plain ASCII: no escaping needed). */
  action: string;
  /** The stored document JSON (no trailing newline). */
  json: Buffer;
  bytes: number;
}

export class EsShipper {
  readonly counters: ShipperCounters = { shipped: 0, retried: 0, deadLettered: 0, requests: 0, failedRequests: 0 };
  templateInstalled = false;
  lastError: string | undefined;

  private readonly client: Client;
  private readonly backoff: Backoff;
  private readonly log: (message: string) => void;
  private stopped = false;
  private pump: Promise<void> | undefined;
  private readonly abort = new AbortController();
  /** Running estimate of bytes per document, to tell when a full request is pending. */
  private avgDocBytes = 512;
  /** Reduced after a 413 so the next request is smaller; back to the config after success. */
  private requestCap: number;
  private failing = false;
  private readonly sleepers = new Set<Sleeper>();

  constructor(
    private readonly store: EventStore,
    private readonly config: ElasticsearchConfig,
    options: ShipperOptions = {},
  ) {
    this.client = new Client(clientOptions(config));
    this.backoff = new Backoff(config.backoff.initialMs, config.backoff.maxMs, options.random);
    // Same shape as the agent's own lines (time, level, source), so the shipper's are greppable.
    this.log = options.log ?? ((m) => console.warn(`${new Date().toISOString()} warn storage/shipper: ${m}`));
    this.requestCap = config.maxBytesPerRequest;
  }

  start(): void {
    if (this.pump) return;
    this.pump = this.run().catch((err: unknown) => {
      // run() handles every expected failure; reaching here is a bug, so say it loudly.
      this.log(`shipper stopped by an unexpected error: ${err instanceof Error ? err.stack : String(err)}`);
    });
  }

  /** New events were committed. Cheap; called after every batch. */
  notify(): void {
    for (const s of this.sleepers) if (s.wakeOnNotify) s.done();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const s of [...this.sleepers]) s.done();
    await this.pump;
    await this.client.close();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.templateInstalled) {
        await this.installTemplate();
        continue;
      }
      if (this.store.backlog === 0) {
        await this.sleep(Number.POSITIVE_INFINITY, true);
        continue;
      }
      const oldest = this.store.oldestUnshippedMs();
      if (oldest === undefined) {
        this.store.recountBacklog();
        continue;
      }
      const due = oldest + this.config.maxLatencyMs - Date.now();
      if (due > 0 && !this.fullRequestPending()) {
        await this.sleep(due, true); // woken early by notify() to re-check for a full request
        continue;
      }
      await this.drain();
    }
  }

  /**
   * Sends requests in outbox order with up to WINDOW in flight while more than a full request
   * is waiting (a single one otherwise), and moves the cursor strictly in order: request n+1's
   * cursor move waits for request n. If a request is abandoned (stop, 413), the window is
   * dropped without moving the cursor past it; what was already indexed comes back as 409s.
   */
  private async drain(): Promise<void> {
    const window: { built: BuiltRequest; outcome: Promise<Outcome> }[] = [];
    let readFrom = this.store.cursor;
    for (;;) {
      while (!this.stopped && window.length < WINDOW && (window.length === 0 || (window.at(-1) as { built: BuiltRequest }).built.full)) {
        const built = this.buildRequest(readFrom);
        if (built.docs.length === 0) break;
        readFrom = built.lastSeq;
        window.push({ built, outcome: this.send(built) });
      }
      const head = window.shift();
      if (!head) {
        if (readFrom === this.store.cursor) this.store.recountBacklog();
        return;
      }
      const outcome = await head.outcome;
      if (outcome.abandoned || this.stopped) {
        await Promise.allSettled(window.map((w) => w.outcome));
        return;
      }
      try {
        await this.store.advanceShipCursor(head.built.lastSeq, head.built.docs.length, outcome.deadLetters, head.built.evictionEpoch);
      } catch (err) {
        // The disk is full or LMDB failed: documents are in ES; a replay will 409. Retry later.
        this.noteFailure('moving the ship cursor', err);
        await Promise.allSettled(window.map((w) => w.outcome));
        await this.sleep(this.backoff.next());
        return;
      }
      this.counters.shipped += outcome.acknowledged;
      this.counters.deadLettered += outcome.deadLetters.length;
      for (const dl of outcome.deadLetters) this.log(`dead-lettered ${dl.tracerId} (${dl.status}): ${dl.reason}`);
      if (window.length === 0) {
        this.requestCap = this.config.maxBytesPerRequest;
        return; // back to the latency logic for what arrived meanwhile
      }
    }
  }

  private fullRequestPending(): boolean {
    return this.store.backlog * this.avgDocBytes >= this.requestCap;
  }

  private async installTemplate(): Promise<void> {
    const prefix = this.config.indexPrefix;
    try {
      await this.client.indices.putIndexTemplate({ name: templateName(prefix), ...indexTemplateBody(prefix) }, { signal: this.abort.signal });
      this.templateInstalled = true;
      this.noteSuccess();
    } catch (err) {
      if (this.stopped) return;
      this.noteFailure('installing the index template', err);
      await this.sleep(this.backoff.next());
    }
  }

  /** Reads up to one request's worth from the outbox (at least one document). */
  private buildRequest(afterSeq: number): BuiltRequest {
    const docs: PendingDoc[] = [];
    let bytes = 0;
    let lastSeq = afterSeq;
    let full = false;
    for (const { seq, record } of this.store.outbox(afterSeq)) {
      const index = `${this.config.indexPrefix}-${record.day}`;
      const action = `{"create":{"_index":"${index}","_id":"${record.tracerId}"}}\n`;
      const size = action.length + record.json.length + 1;
      if (docs.length > 0 && bytes + size > this.requestCap) {
        full = true;
        break;
      }
      docs.push({ seq, id: record.tracerId, index, action, json: record.json, bytes: size });
      bytes += size;
      lastSeq = seq;
    }
    if (docs.length > 0) this.avgDocBytes = Math.max(64, Math.round(bytes / docs.length));
    return { afterSeq, docs, lastSeq, full, evictionEpoch: this.store.evictionEpoch, cap: this.requestCap };
  }

  /** Sends one request until every document has an answer (or it is abandoned). */
  private async send(built: BuiltRequest): Promise<Outcome> {
    const deadLetters: DeadLetter[] = [];
    let acknowledged = 0;
    let pending = built.docs;
    while (pending.length > 0) {
      if (this.stopped) return ABANDONED; // cursor not moved: the next start replays (409s)
      this.counters.requests++;
      let items: BulkItemResult[];
      try {
        // A pre-serialised NDJSON Buffer: the transport sends strings and Buffers as they are
        // (Transport.js `shouldSerialize`), which saves re-serialising every document. The
        // typings only know the array form, hence the cast.
        const ndjson = ndjsonBody(pending) as unknown as unknown[];
        // filter_path: only what we read, so the response is a fraction of the request's size.
        const response = await this.client.bulk({ body: ndjson, filter_path: BULK_FILTER_PATH }, { signal: this.abort.signal });
        items = (response.items ?? []).map((item) => {
          const r = item.create ?? item.index ?? Object.values(item)[0];
          return { status: r?.status ?? 500, error: r?.error ? `${r.error.type}: ${r.error.reason ?? ''}` : undefined };
        });
        if (items.length !== pending.length) throw new Error(`bulk answered ${items.length} items for ${pending.length} documents`);
      } catch (err) {
        if (this.stopped) return ABANDONED;
        this.counters.failedRequests++;
        if (statusOf(err) === 413) {
          if (pending.length > 1) {
            // Too big for the cluster's http.max_content_length: halve and rebuild from the cursor.
            this.requestCap = Math.max(1024, Math.floor(this.requestCap / 2));
            this.log(`request of ${pending.length} documents rejected with 413; lowering the request cap to ${this.requestCap} bytes`);
            return ABANDONED;
          }
          const only = pending[0] as PendingDoc;
          deadLetters.push(this.deadLetter(only, 413, `request_entity_too_large: a single document of ${only.bytes} bytes exceeds the cluster's limit`));
          break;
        }
        this.counters.retried += pending.length;
        this.noteFailure(`sending ${pending.length} documents`, err);
        await this.sleep(this.backoff.next());
        continue;
      }
      const retry: PendingDoc[] = [];
      items.forEach((item, i) => {
        const doc = pending[i] as PendingDoc;
        if (item.status < 300 || item.status === 409) acknowledged++;
        else if (item.status === 429 || item.status >= 500) retry.push(doc);
        else deadLetters.push(this.deadLetter(doc, item.status, item.error ?? `status ${item.status}`));
      });
      if (retry.length === 0) {
        this.noteSuccess();
        break;
      }
      this.counters.retried += retry.length;
      pending = retry;
      await this.sleep(this.backoff.next());
    }
    return { abandoned: false, acknowledged, deadLetters };
  }

  private deadLetter(doc: PendingDoc, status: number, reason: string): DeadLetter {
    const stored = this.store.get(doc.id);
    return {
      seq: doc.seq,
      tracerId: doc.id,
      index: doc.index,
      status,
      reason,
      at: Date.now(),
      document: stored ?? (JSON.parse(doc.json.toString('utf8')) as DeadLetter['document']),
    };
  }

  private noteFailure(what: string, err: unknown): void {
    const message = describeError(err);
    this.lastError = `${what}: ${message}`;
    if (!this.failing) this.log(`Elasticsearch failing while ${what}: ${message}; retrying with backoff`);
    this.failing = true;
  }

  private noteSuccess(): void {
    if (this.failing) this.log('Elasticsearch reachable again');
    this.failing = false;
    this.lastError = undefined;
    this.backoff.reset();
  }

  /**
   * Resolves after `ms` or on stop; with `wakeOnNotify` also when new events are committed.
   * Backoff waits must not wake on notify, or a steady event flow would defeat the backoff.
   */
  private sleep(ms: number, wakeOnNotify = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        wakeOnNotify,
        done: () => {
          if (timer) clearTimeout(timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      const timer = Number.isFinite(ms) ? setTimeout(sleeper.done, ms) : undefined;
      this.sleepers.add(sleeper);
    });
  }
}

/** Requests in flight while draining a backlog (cursor moves stay in order). */
const WINDOW = 2;

const BULK_FILTER_PATH = ['errors', 'items.*.status', 'items.*.error.type', 'items.*.error.reason'];

interface Sleeper {
  wakeOnNotify: boolean;
  done: () => void;
}

type Outcome = { abandoned: true } | { abandoned: false; acknowledged: number; deadLetters: DeadLetter[] };
const ABANDONED: Outcome = { abandoned: true };

interface BuiltRequest {
  afterSeq: number;
  docs: PendingDoc[];
  lastSeq: number;
  /** More documents were waiting beyond this request. */
  full: boolean;
  evictionEpoch: number;
  cap: number;
}

interface BulkItemResult {
  status: number;
  error: string | undefined;
}

/** One Buffer for the whole _bulk body: action, document, newline for each. */
function ndjsonBody(docs: readonly PendingDoc[]): Buffer {
  let total = 0;
  for (const d of docs) total += d.bytes;
  const body = Buffer.allocUnsafe(total);
  let at = 0;
  for (const d of docs) {
    at += body.write(d.action, at, 'latin1');
    at += d.json.copy(body, at);
    body[at++] = 0x0a;
  }
  return body;
}

function clientOptions(config: ElasticsearchConfig): ClientOptions {
  const options: ClientOptions = {
    nodes: config.urls,
    maxRetries: 0,
    requestTimeout: config.requestTimeoutMs,
    compression: false,
    tls: {
      rejectUnauthorized: config.tls.rejectUnauthorized,
      ...(config.caFile !== undefined ? { ca: fs.readFileSync(config.caFile) } : {}),
    },
  };
  if (config.apiKey !== undefined) options.auth = { apiKey: config.apiKey };
  else if (config.username !== undefined) options.auth = { username: config.username, password: config.password ?? '' };
  return options;
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof esErrors.ResponseError) return err.meta.statusCode;
  return undefined;
}

function describeError(err: unknown): string {
  if (err instanceof esErrors.ResponseError) return `HTTP ${err.meta.statusCode ?? '?'} ${err.message}`.slice(0, 500);
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500);
  return String(err);
}
