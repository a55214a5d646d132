// The LMDB event store: the only writer of the environment (the storage actor owns it).
//
// Layout of one environment (`<path>/events.mdb`), named databases:
//   events       seq → record (header + document JSON, see record.ts; LZ4 above the threshold)
//   by-time      [tracerMs, seq] → null       secondary index, time range queries
//   by-tracer    [tracer, tracerMs, seq]      secondary index
//   by-container [containerId, tracerMs, seq] secondary index (only events with a container)
//   meta         'seq' | 'hostTag' | 'shipCursor' → number | string
//   dead-letter  seq → DeadLetter            documents ES rejected for good
//   ledger       [tracer, key] → CooldownEntry  the supervisor's cooldown ledger
//
// Why seq keys: the primary key is a host-local monotonic integer, so the ES outbox is just
// "every key above shipCursor" — the shipper reads LMDB, never memory — and retention can
// evict "oldest first" by walking keys in order.
//
// Why async puts for event batches: lmdb-js commits every write issued in one event-loop turn
// in one transaction (`eventTurnBatching`, on by default), and it executes the puts and the
// commit on its own write thread. A batch is encoded first and then put in one synchronous run,
// so it is all-or-nothing, and the actor's thread encodes the next batches while the previous
// commit and its fsync run. A `transactionSync` per turn (what this used before) did the puts
// and the commit on the actor's thread: ~10 % fewer events/s through the actor, measured with
// bench/storage.ts. The async `transaction(cb)` form needs a thread-safe N-API callback and
// hung on this build; it is not used.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { ensureDirectory } from '../common/ensure-directory.js';
import type { StorageConfig } from './config.js';
import type { EventDocument, EventInput } from '../event/index.js';
import type { CooldownEntry, EventQuery, SkippedRecord } from './protocol.js';
import { buildDocumentHead, documentJson, rfc3339, validateEventInput } from './document.js';
import { freeSpace, LMDB_FILE, LMDB_LOCK_FILE, MIN_FREE_BYTES_AT_START, preflightStore } from './preflight.js';
import { formatTracerId, newHostTag, parseTracerId } from './ids.js';
import { decodeRecord, encodeRecord, viewRecord, type RecordView } from './record.js';
import {
  BadCursorError,
  BatchTooLargeError,
  StoreBadPathError,
  StoreClosedError,
  StoreCorruptError,
  StoreDiskFullError,
  StoreUnreadableError,
  StoreWriteError,
} from './errors.js';

export { LMDB_FILE };

type IndexKey = (string | number)[];

export interface DeadLetter {
  seq: number;
  tracerId: string;
  index: string;
  status: number;
  reason: string;
  /** ms since epoch when it was dead-lettered. */
  at: number;
  document: EventDocument;
}

export interface StoreCounters {
  eventsStored: number;
  /** Records a listing could not read or decode and left out (see SkippedRecord). */
  corruptRecordsSkipped: number;
  batchesWritten: number;
  evicted: number;
  evictedBeforeShipped: number;
}

export interface StoredBatch {
  tracerIds: string[];
  /** Commit latency of this batch, seconds. */
  latencySeconds: number;
}

export interface QueryResult {
  events: EventDocument[];
  cursor?: string;
  /** Records in the range that could not be read (left out, counted); absent when none. */
  skipped?: SkippedRecord[];
}

/** Where the header still reads, the unlisted event's tracer_id (else only its seq). */
function recordIdOf(raw: Buffer): { tracerId?: string } {
  const view = viewRecord(raw);
  return parseTracerId(view.tracerId) !== undefined ? { tracerId: view.tracerId } : {};
}

/** What the shipper reads: one outbox entry, the document still as JSON bytes. */
export interface OutboxEntry {
  seq: number;
  record: RecordView;
}

export interface EventStoreOptions {
  path: string;
  hostname?: string | undefined;
  region: string;
  fsync: StorageConfig['fsync'];
  compressionThresholdBytes: number;
  maxEventsPerBatch: number;
  /**
   * True when events are shipped (Elasticsearch configured). Without an outbox every event
   * counts as "done": retention may evict any and nothing is evicted-before-shipped.
   */
  outbox: boolean;
  /**
   * Open for reading only (the CLI's `--db`): the store must exist, events.mdb is opened
   * MDB_RDONLY (any write fails) and only LMDB's lock file (its reader table) may be
   * created, so it can read an environment that a running agent is writing (LMDB allows
   * one writer and many reader processes).
   */
  readOnly?: boolean;
}

export function storeOptionsFrom(config: StorageConfig): EventStoreOptions {
  return {
    path: config.path,
    hostname: config.hostname,
    region: config.region,
    fsync: config.fsync,
    compressionThresholdBytes: config.compressionThresholdBytes,
    maxEventsPerBatch: config.batching.maxEventsPerBatch,
    outbox: config.elasticsearch !== undefined,
  };
}

const DEFAULT_QUERY_LIMIT = 100;
const MAX_QUERY_LIMIT = 10_000;
const FAR_FUTURE_MS = 8.64e15;

export class EventStore {
  readonly file: string;
  readonly counters: StoreCounters = { eventsStored: 0, corruptRecordsSkipped: 0, batchesWritten: 0, evicted: 0, evictedBeforeShipped: 0 };
  /** Called after every successful commit of new events (the shipper's wake-up). */
  onStored: (() => void) | undefined;

  private readonly env: RootDatabase;
  private readonly events: Database<Buffer, number>;
  private readonly byTime: Database<null, IndexKey>;
  private readonly byTracer: Database<null, IndexKey>;
  private readonly byContainer: Database<null, IndexKey>;
  private readonly meta: Database<number | string, string>;
  private readonly deadLetters: Database<DeadLetter, number>;
  private readonly ledger: Database<CooldownEntry, IndexKey>;
  private readonly hostname: string;
  private readonly hostTag: string;
  private lastSeq: number;
  private shipCursor: number;
  /** Live count of events with seq > shipCursor (kept in memory; counted once at open). */
  private unshipped: number;
  private closed = false;
  /** The newest event commit (lmdb-js commits in order): close() lets it finish. */
  private lastCommit: Promise<unknown> | undefined;
  private evictions = 0;
  /** The last commit failed for lack of space (cleared by the next one that succeeds). */
  private diskFull = false;

  private constructor(private readonly opts: EventStoreOptions, file: string, env: RootDatabase) {
    this.file = file;
    this.env = env;
    this.events = env.openDB<Buffer, number>('events', { encoding: 'binary', compression: { threshold: opts.compressionThresholdBytes } });
    this.byTime = env.openDB<null, IndexKey>('by-time', {});
    this.byTracer = env.openDB<null, IndexKey>('by-tracer', {});
    this.byContainer = env.openDB<null, IndexKey>('by-container', {});
    this.meta = env.openDB<number | string, string>('meta', {});
    this.deadLetters = env.openDB<DeadLetter, number>('dead-letter', {});
    this.ledger = env.openDB<CooldownEntry, IndexKey>('ledger', {});
    this.hostname = opts.hostname ?? os.hostname();

    let tag = this.meta.get('hostTag');
    if (typeof tag !== 'string' && opts.readOnly === true) {
      tag = ''; // never written: the store holds no event yet
    } else if (typeof tag !== 'string') {
      tag = newHostTag();
      this.meta.putSync('hostTag', tag);
    }
    this.hostTag = tag;
    // The sequence must never go backwards, even if retention emptied `events`.
    const metaSeq = numberOr(this.meta.get('seq'), 0);
    let lastKey = 0;
    for (const k of this.events.getKeys({ reverse: true, limit: 1 })) lastKey = k;
    this.lastSeq = Math.max(metaSeq, lastKey);
    this.shipCursor = numberOr(this.meta.get('shipCursor'), 0);
    this.unshipped = this.events.getKeysCount({ start: this.shipCursor + 1 });
  }

  /** Opens (creating if needed) the store; throws a coded error that says what is wrong. */
  static open(opts: EventStoreOptions): EventStore {
    if (opts.readOnly === true) return EventStore.openReadOnly(opts);
    const dir = opts.path;
    try {
      // 0700/0600: events carry process names, command lines and stacks of the whole host.
      ensureDirectory(dir, 0o700);
      if (!fs.statSync(dir).isDirectory()) throw new Error('not a directory');
      fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
    } catch (err) {
      throw new StoreBadPathError(dir, err);
    }
    const file = path.join(dir, LMDB_FILE);
    // Before lmdb maps anything: a truncated or damaged file, or a full filesystem, would
    // otherwise kill the process with SIGBUS/SIGSEGV (preflight.ts).
    preflightStore(dir, 'write');
    createPrivate(file);
    createPrivate(path.join(dir, LMDB_LOCK_FILE));
    return EventStore.openEnv(opts, file, { noSync: opts.fsync === 'os' });
  }

  /** Read-only open: the directory and events.mdb must exist; events.mdb is never written. */
  private static openReadOnly(opts: EventStoreOptions): EventStore {
    const file = path.join(opts.path, LMDB_FILE);
    try {
      if (!fs.statSync(opts.path).isDirectory()) throw new Error('not a directory');
      if (!fs.statSync(file).isFile()) throw new Error(`${LMDB_FILE} is not a regular file`);
    } catch (err) {
      throw new StoreBadPathError(opts.path, err);
    }
    preflightStore(opts.path, 'read');
    return EventStore.openEnv(opts, file, { readOnly: true });
  }

  /** Opens the LMDB environment and the store on it; any failure closes it and is classified. */
  private static openEnv(opts: EventStoreOptions, file: string, lmdb: { noSync?: boolean; readOnly?: boolean }): EventStore {
    let env: RootDatabase;
    try {
      env = open({ path: file, maxDbs: 16, ...lmdb });
    } catch (err) {
      throw classifyOpenError(file, err);
    }
    try {
      return new EventStore(opts, file, env);
    } catch (err) {
      void env.close();
      throw classifyOpenError(file, err);
    }
  }

  get tag(): string {
    return this.hostTag;
  }

  /**
   * Validates, numbers and writes one batch in one commit; resolves when it is durable per
   * the fsync policy. On failure nothing of the batch is acknowledged.
   */
  async storeBatch(inputs: readonly EventInput[], now = Date.now()): Promise<StoredBatch> {
    this.assertOpen();
    if (inputs.length > this.opts.maxEventsPerBatch) throw new BatchTooLargeError(inputs.length, this.opts.maxEventsPerBatch);
    inputs.forEach((input, i) => validateEventInput(input, i));
    if (inputs.length === 0) return { tracerIds: [], latencySeconds: 0 };
    this.assertRoomAfterDiskFull(inputs);
    const started = performance.now();
    const firstSeq = this.lastSeq + 1;
    const tracerIds = this.allocateIds(inputs.length, now);
    // Encode everything before the first put, so nothing can throw between the puts: the
    // whole batch lands in this turn's transaction or none of it does.
    const uploadedTime = rfc3339(now);
    const records: Buffer[] = new Array<Buffer>(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as EventInput;
      const head = buildDocumentHead(input, { hostname: this.hostname, region: this.opts.region, storedMs: now, uploadedTime, tracerId: tracerIds[i] as string });
      records[i] = encodeRecord(head, documentJson(head, input.dataJson));
    }
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as EventInput;
      const seq = firstSeq + i;
      // Per-put promises settle with the commit; the last put below carries its outcome.
      this.events.put(seq, records[i] as Buffer).catch(swallow);
      this.byTime.put([input.time, seq], null).catch(swallow);
      this.byTracer.put([input.tracerName, input.time, seq], null).catch(swallow);
      if (input.container !== undefined && input.container.id !== '') this.byContainer.put([input.container.id, input.time, seq], null).catch(swallow);
    }
    const committed = this.meta.put('seq', this.lastSeq);
    this.lastCommit = committed;
    try {
      await committed;
      if (this.opts.fsync === 'commit') await this.env.flushed;
    } catch (err) {
      throw this.classifyCommitError(err);
    }
    this.diskFull = false;
    this.counters.eventsStored += inputs.length;
    this.counters.batchesWritten++;
    this.unshipped += inputs.length;
    this.onStored?.();
    return { tracerIds, latencySeconds: (performance.now() - started) / 1000 };
  }

  /**
   * After a commit failed for lack of space, later batches fail here, before lmdb is asked,
   * until the filesystem has room for the batch again: each failed lmdb commit prints a
   * "Write error" line and a stack, and the supervisor retries every second.
   */
  private assertRoomAfterDiskFull(inputs: readonly EventInput[]): void {
    if (!this.diskFull) return;
    let bytes = 0;
    for (const input of inputs) bytes += input.dataJson.length + 512;
    // Pages are copied on write: a commit needs about twice its data, plus its tree pages.
    const needed = Math.max(MIN_FREE_BYTES_AT_START, 2 * bytes);
    const free = freeSpace(this.opts.path)?.freeBytes ?? Number.POSITIVE_INFINITY;
    if (free < needed) throw new StoreDiskFullError(this.opts.path, new Error(`${free} bytes free, about ${needed} needed for this batch`));
  }

  /** Numbers are taken before the commit; a failed commit leaves a gap, never a reuse. */
  private allocateIds(n: number, now: number): string[] {
    const ids: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) ids[i] = formatTracerId(now, ++this.lastSeq, this.hostTag);
    return ids;
  }

  get(tracerId: string): EventDocument | undefined {
    this.assertOpen();
    const parsed = parseTracerId(tracerId);
    if (!parsed || parsed.hostTag !== this.hostTag) return undefined;
    const raw = this.events.get(parsed.seq);
    const doc = raw ? decodeRecord(raw) : undefined;
    return doc?.tracer_id === tracerId ? doc : undefined;
  }

  /**
   * Time-range / tracer / container query over the secondary indexes. Newest first unless
   * `reverse === false`. The cursor is the last returned (tracerMs, seq), opaque to callers.
   */
  query(q: EventQuery): QueryResult {
    this.assertOpen();
    const limit = Math.min(Math.max(1, Math.floor(q.limit ?? DEFAULT_QUERY_LIMIT)), MAX_QUERY_LIMIT);
    const reverse = q.reverse !== false;
    const from = q.from ?? 0;
    const to = q.to ?? FAR_FUTURE_MS;
    // Pick the most selective index; remaining conditions are filtered while scanning.
    let db: Database<null, IndexKey>;
    let prefix: IndexKey;
    if (q.containerId !== undefined) {
      db = this.byContainer;
      prefix = [q.containerId];
    } else if (q.tracer !== undefined) {
      db = this.byTracer;
      prefix = [q.tracer];
    } else {
      db = this.byTime;
      prefix = [];
    }
    let lower: IndexKey = [...prefix, from];
    let upper: IndexKey = [...prefix, to];
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      // Keys are [..., ms, integer seq]; the neighbour of (ms, seq) is (ms, seq ± 1).
      if (reverse) upper = [...prefix, c.t, c.s - 1];
      else lower = [...prefix, c.t, c.s + 1];
      if (reverse ? c.t < from : c.t >= to) return { events: [] };
    }
    // lmdb-js: start inclusive, end exclusive, in iteration order. [p, ms] sorts before every
    // [p, ms, seq], so [p, to] as the upper bound excludes tracer time `to` itself.
    const range = reverse ? { start: upper, end: [...prefix, from], reverse: true } : { start: lower, end: upper };
    const out: EventDocument[] = [];
    const skipped: SkippedRecord[] = [];
    let lastKey: IndexKey | undefined;
    for (const key of db.getKeys({ ...range, snapshot: false })) {
      const seq = key[key.length - 1] as number;
      const t = key[key.length - 2] as number;
      if (reverse && t < from) break;
      const read = this.readRecord(seq);
      if (read === undefined) continue; // evicted between index and read
      // The cursor moves past a damaged record too, so paging (`--all`) gets beyond it.
      lastKey = [t, seq];
      if ('skipped' in read) {
        skipped.push(read.skipped);
        continue;
      }
      const doc = read.doc;
      if (q.tracer !== undefined && doc.tracer_name !== q.tracer) continue;
      out.push(doc);
      if (out.length >= limit) break;
    }
    const extra = skipped.length > 0 ? { skipped } : {};
    if (out.length < limit || !lastKey) return { events: out, ...extra };
    return { events: out, cursor: encodeCursor(lastKey[0] as number, lastKey[1] as number), ...extra };
  }

  /**
   * One record, decoded. A record that cannot be read or decoded (a damaged page, bad LZ4,
   * broken JSON) is reported and counted instead of failing the whole listing.
   */
  private readRecord(seq: number): { doc: EventDocument } | { skipped: SkippedRecord } | undefined {
    let raw: Buffer | undefined;
    try {
      raw = this.events.get(seq);
      if (!raw) return undefined;
      return { doc: decodeRecord(raw) };
    } catch (err) {
      this.counters.corruptRecordsSkipped++;
      const reason = err instanceof Error ? err.message : String(err);
      return { skipped: { seq, ...(raw !== undefined ? recordIdOf(raw) : {}), reason } };
    }
  }

  // ---- outbox (used by the shipper) ---------------------------------------------------

  get cursor(): number {
    return this.shipCursor;
  }

  get backlog(): number {
    return this.unshipped;
  }

  /** Events after the ship cursor, in seq order. Lazy: the shipper stops at its byte cap. */
  *outbox(afterSeq = this.shipCursor): Generator<OutboxEntry> {
    this.assertOpen();
    for (const { key, value } of this.events.getRange({ start: afterSeq + 1, snapshot: false })) {
      yield { seq: key, record: viewRecord(value) };
    }
  }

  /** Stored time (ms) of the oldest unshipped event, or undefined when the outbox is empty. */
  oldestUnshippedMs(): number | undefined {
    for (const { value } of this.events.getRange({ start: this.shipCursor + 1, limit: 1 })) {
      return Date.parse(decodeRecord(value).uploaded_time);
    }
    return undefined;
  }

  /**
   * Moves the ship cursor after a handled response, writing dead letters in the same commit.
   * `docCount` is how many events the request covered; when nothing was evicted since it was
   * read (`readEpoch`), the outbox shrinks by exactly that, else it is recounted.
   */
  async advanceShipCursor(toSeq: number, docCount: number, deadLetters: DeadLetter[], readEpoch = -1): Promise<void> {
    this.assertOpen();
    if (toSeq <= this.shipCursor) return;
    for (const dl of deadLetters) this.deadLetters.put(dl.seq, dl).catch(swallow);
    const done = this.meta.put('shipCursor', toSeq);
    try {
      await done;
    } catch (err) {
      throw this.classifyCommitError(err);
    }
    this.shipCursor = toSeq;
    if (readEpoch === this.evictions) this.unshipped = Math.max(0, this.unshipped - docCount);
    else this.unshipped = this.events.getKeysCount({ start: toSeq + 1 });
  }

  /** Changes whenever events are evicted (lets the shipper trust what it read earlier). */
  get evictionEpoch(): number {
    return this.evictions;
  }

  /** Recounts the outbox (after evictions raced with shipping). */
  recountBacklog(): number {
    this.unshipped = this.events.getKeysCount({ start: this.shipCursor + 1 });
    return this.unshipped;
  }

  listDeadLetters(limit = 100): DeadLetter[] {
    return [...this.deadLetters.getRange({ limit })].map((e) => e.value);
  }

  deadLetterCount(): number {
    return this.deadLetters.getKeysCount();
  }

  /**
   * Removes dead letters dead-lettered before `cutoffMs`, and the oldest beyond `maxCount`
   * (seq order is dead-letter order closely enough: both follow the ship cursor). One commit.
   */
  async trimDeadLetters(cutoffMs: number, maxCount: number): Promise<number> {
    this.assertOpen();
    let excess = Math.max(0, this.deadLetters.getKeysCount() - maxCount);
    let last: Promise<boolean> | undefined;
    let removed = 0;
    for (const { key, value } of this.deadLetters.getRange({ snapshot: false })) {
      if (excess <= 0 && value.at >= cutoffMs) break;
      last = this.deadLetters.remove(key);
      last.catch(swallow);
      removed++;
      excess--;
    }
    if (!last) return 0;
    try {
      await last;
    } catch (err) {
      throw this.classifyCommitError(err);
    }
    return removed;
  }

  // ---- retention ----------------------------------------------------------------------

  /** Seqs of events whose tracer time is before `cutoffMs`, oldest first. */
  expiredSeqs(cutoffMs: number, limit: number): number[] {
    const out: number[] = [];
    for (const key of this.byTime.getKeys({ start: [0], end: [cutoffMs], limit, snapshot: false })) {
      out.push(key[1] as number);
    }
    return out;
  }

  /** Oldest seqs by store order, shipped ones only unless `includeUnshipped`. */
  oldestSeqs(limit: number, includeUnshipped: boolean): number[] {
    const out: number[] = [];
    const end = includeUnshipped || !this.opts.outbox ? undefined : this.shipCursor + 1;
    for (const k of this.events.getKeys({ limit, snapshot: false, ...(end !== undefined ? { end } : {}) })) out.push(k);
    return out;
  }

  /** Deletes events and their index entries in one commit; returns how many were removed. */
  async evict(seqs: readonly number[]): Promise<number> {
    this.assertOpen();
    let removed = 0;
    let unshippedRemoved = 0;
    let last: Promise<boolean> | undefined;
    for (const seq of seqs) {
      const raw = this.events.get(seq);
      if (!raw) continue;
      const doc = decodeRecord(raw);
      const t = Date.parse(doc.tracer_time);
      last = this.events.remove(seq);
      last.catch(swallow);
      this.byTime.remove([t, seq]).catch(swallow);
      this.byTracer.remove([doc.tracer_name, t, seq]).catch(swallow);
      if (doc.container_id !== '') this.byContainer.remove([doc.container_id, t, seq]).catch(swallow);
      removed++;
      if (this.opts.outbox && seq > this.shipCursor) unshippedRemoved++;
    }
    if (!last) return 0;
    try {
      await last;
    } catch (err) {
      throw this.classifyCommitError(err);
    }
    this.evictions++;
    this.counters.evicted += removed;
    this.counters.evictedBeforeShipped += unshippedRemoved;
    this.unshipped = Math.max(0, this.unshipped - unshippedRemoved);
    return removed;
  }

  eventCount(): number {
    return (this.events.getStats() as { entryCount?: number }).entryCount ?? 0;
  }

  /** Bytes held by live pages of every database (freed pages are reused, the file never shrinks). */
  usedBytes(): number {
    let pages = 0;
    let pageSize = 4096;
    for (const db of [this.env, this.events, this.byTime, this.byTracer, this.byContainer, this.meta, this.deadLetters, this.ledger]) {
      const s = db.getStats() as { pageSize?: number; treeBranchPageCount?: number; treeLeafPageCount?: number; overflowPages?: number };
      pageSize = s.pageSize ?? pageSize;
      pages += (s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0);
    }
    return pages * pageSize;
  }

  /** Size of the LMDB file on disk (high-water mark). */
  fileBytes(): number {
    try {
      return fs.statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  // ---- cooldown ledger ----------------------------------------------------------------

  ledgerLoad(): CooldownEntry[] {
    this.assertOpen();
    return [...this.ledger.getRange({ snapshot: false })].map((e) => e.value);
  }

  async ledgerPut(entries: readonly CooldownEntry[]): Promise<void> {
    this.assertOpen();
    let last: Promise<boolean> | undefined;
    for (const e of entries) {
      last = this.ledger.put([e.tracer, e.key], { tracer: e.tracer, key: e.key, lastFired: e.lastFired, until: e.until });
      last.catch(swallow);
    }
    if (!last) return;
    try {
      await last;
      if (this.opts.fsync === 'commit') await this.env.flushed;
    } catch (err) {
      throw this.classifyCommitError(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let batches already accepted commit (their callers are waiting on them).
    await this.lastCommit?.catch(swallow);
    this.closed = true;
    try {
      await this.env.flushed;
    } catch {
      // a failed last commit was already reported to its caller
    }
    await this.env.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private classifyCommitError(err: unknown): Error {
    // lmdb-js rejects with "Commit failed (see commitError for details)" and a second
    // rejected promise; observe it so it does not become an unhandled rejection.
    const commitError = (err as { commitError?: unknown } | null)?.commitError;
    if (commitError instanceof Promise) commitError.catch(swallow);
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : '';
    if (
      code === 'ENOSPC' ||
      code === 28 ||
      code === 'MDB_MAP_FULL' ||
      /No space left|ENOSPC/.test(message) ||
      (freeSpace(this.opts.path)?.freeBytes ?? Number.POSITIVE_INFINITY) < MIN_FREE_BYTES_AT_START
    ) {
      this.diskFull = true;
      return new StoreDiskFullError(this.opts.path, err);
    }
    return new StoreWriteError(this.opts.path, err);
  }
}

/**
 * LMDB creates its files 0664 (lmdb-js passes that mode); creating them first, empty and
 * 0600, keeps them private (LMDB initialises an empty data file). Existing files are left as
 * they are.
 */
function createPrivate(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreUnreadableError(file, err);
  }
}

function classifyOpenError(file: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 13 || code === 1) return new StoreUnreadableError(file, err);
  if (/MDB_INVALID|MDB_CORRUPTED|MDB_VERSION_MISMATCH|MDB_PAGE_NOTFOUND|corrupt|invalid/i.test(message)) {
    return new StoreCorruptError(file, err);
  }
  return new StoreUnreadableError(file, err);
}

function encodeCursor(t: number, s: number): string {
  return Buffer.from(JSON.stringify([t, s])).toString('base64url');
}

function decodeCursor(cursor: string): { t: number; s: number } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && Number.isInteger(v[1])) return { t: v[0] as number, s: v[1] as number };
  } catch {
    // fall through
  }
  throw new BadCursorError(cursor);
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** Per-put promises of a batch fail together with the last one, which the caller awaits. */
function swallow(): void {}
