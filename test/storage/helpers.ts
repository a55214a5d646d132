// Shared test helpers for the storage area (not a test file itself).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TestContext } from 'node:test';
import { repoRoot } from '../../src/paths.js';
import { storageConfigSchema, type StorageConfig, type StorageConfigInput } from '../../src/storage/config.js';
import type { StorageReply, StorageRequest } from '../../src/storage/protocol.js';
import { EventStore, storeOptionsFrom } from '../../src/storage/store.js';
import { EsShipper } from '../../src/storage/shipper.js';
import { eventDataJson, type EventInput } from '../../src/event/index.js';

const deferred = new WeakMap<TestContext, (() => unknown)[]>();

/**
 * Registers teardown that runs last-in-first-out (node:test runs t.after hooks in
 * registration order, which would delete a temp dir before the store in it is closed).
 * Every step runs even if an earlier one throws.
 */
export function defer(t: TestContext, fn: () => unknown): void {
  let stack = deferred.get(t);
  if (!stack) {
    const fresh: (() => unknown)[] = [];
    stack = fresh;
    deferred.set(t, fresh);
    t.after(async () => {
      const errors: unknown[] = [];
      while (fresh.length > 0) {
        try {
          await fresh.pop()!();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw errors[0];
    });
  }
  stack.push(fn);
}

/** A temp dir removed in teardown even when the test fails. */
export function tempDir(t: TestContext, name = 'storage'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `autotracer-${name}-`));
  defer(t, () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function config(input: StorageConfigInput): StorageConfig {
  return storageConfigSchema.parse(input);
}

export function openStore(t: TestContext, input: StorageConfigInput): EventStore {
  const store = EventStore.open(storeOptionsFrom(config(input)));
  defer(t, () => store.close());
  return store;
}

/** An event as a tracer saves it: `data` is serialised the way the actor runtime does it. */
export type TestEvent = Partial<Omit<EventInput, 'dataJson'>> & { data?: unknown };

let counter = 0;
export function makeEvent(overrides: TestEvent = {}): EventInput {
  counter++;
  const { data = { n: counter, text: `event ${counter}` }, ...rest } = overrides;
  return { tracerName: 'cpusys', tracerType: 'autotracing', time: Date.now(), ...rest, dataJson: eventDataJson(data) };
}

export function makeEvents(n: number, overrides: TestEvent = {}): EventInput[] {
  return Array.from({ length: n }, () => makeEvent(overrides));
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitUntil<T>(check: () => T | Promise<T>, timeoutMs: number, what: string, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The compiled actor next to this compiled file: <outDir>/test/storage → <outDir>/src/storage. */
export const actorPath = fileURLToPath(new URL('../../src/storage/actor.js', import.meta.url));
/** The compiled output root (dist, dist-storage, ...). */
export const outRoot = fileURLToPath(new URL('../../', import.meta.url));
export { repoRoot };

/** A request without its reqId (distributes over the union, unlike a plain Omit). */
export type RequestBody = StorageRequest extends infer R ? (R extends { reqId: number } ? Omit<R, 'reqId'> : never) : never;

/** A storage actor worker with request/response helpers. Terminated in teardown. */
export class ActorHandle {
  readonly worker: Worker;
  readonly replies: StorageReply[] = [];
  readonly errors: Error[] = [];
  readonly exited: Promise<number>;
  private nextReqId = 1;
  private readonly waiters = new Set<{ match: (r: StorageReply) => boolean; resolve: (r: StorageReply) => void }>();

  constructor(cfg: StorageConfig) {
    this.worker = new Worker(actorPath, { workerData: { config: cfg } });
    this.worker.on('message', (r: StorageReply) => {
      this.replies.push(r);
      for (const w of this.waiters) {
        if (w.match(r)) {
          this.waiters.delete(w);
          w.resolve(r);
        }
      }
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  static start(t: TestContext, cfg: StorageConfig): ActorHandle {
    const h = new ActorHandle(cfg);
    // An uncaught error in the worker must fail the test with its message, not crash the runner.
    h.worker.on('error', (err) => h.errors.push(err));
    defer(t, () => h.worker.terminate());
    return h;
  }

  next(match: (r: StorageReply) => boolean, timeoutMs = 10_000): Promise<StorageReply> {
    const seen = this.replies.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { match, resolve: (r: StorageReply) => (clearTimeout(timer), resolve(r)) };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no matching reply within ${timeoutMs} ms; got ${this.replies.map((r) => r.type).join(',')}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Waits for the next reply matching, ignoring ones already received. */
  nextNew(match: (r: StorageReply) => boolean, timeoutMs = 10_000): Promise<StorageReply> {
    const already = new Set(this.replies);
    return this.next((r) => !already.has(r) && match(r), timeoutMs);
  }

  request(req: RequestBody, timeoutMs = 10_000): Promise<StorageReply> {
    const reqId = this.nextReqId++;
    const p = this.next((r) => 'reqId' in r && r.reqId === reqId, timeoutMs);
    this.worker.postMessage({ ...req, reqId });
    return p;
  }

  /** What the supervisor does when the actor's loop shows no idle time: the answer is a heartbeat. */
  ping(timeoutMs = 5000): Promise<StorageReply> {
    const answer = this.nextNew((r) => r.type === 'heartbeat', timeoutMs);
    this.worker.postMessage({ type: 'ping' } satisfies StorageRequest);
    return answer;
  }

  async stop(timeoutMs = 10_000): Promise<number> {
    const stopped = this.next((r) => r.type === 'stopped', timeoutMs);
    this.worker.postMessage({ type: 'stop' } satisfies StorageRequest);
    await stopped;
    return await this.exited;
  }
}

/** A store in a temp dir with an EsShipper on it, shipping to `url`; both closed after the test. */
export function startShipper(t: TestContext, url: string, es: Partial<NonNullable<StorageConfigInput['elasticsearch']>> = {}): { store: EventStore; shipper: EsShipper } {
  const input: StorageConfigInput = {
    path: tempDir(t),
    elasticsearch: { urls: [url], maxLatencyMs: 100, backoff: { initialMs: 50, maxMs: 400 }, requestTimeoutMs: 5000, ...es },
  };
  const store = openStore(t, input);
  const cfg = config(input);
  const shipper = new EsShipper(store, cfg.elasticsearch!, { log: () => {} });
  store.onStored = () => shipper.notify();
  defer(t, () => shipper.stop());
  shipper.start();
  return { store, shipper };
}

/** Waits until the outbox is empty (every stored event shipped). */
export async function drained(store: EventStore, what: string, timeoutMs = 15_000): Promise<void> {
  await waitUntil(() => store.backlog === 0, timeoutMs, what);
}
