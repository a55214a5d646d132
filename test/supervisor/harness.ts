// Shared set-up for supervisor tests: fixture paths, fast restart policies, a supervisor
// on the real LMDB storage actor (or the in-memory fixture where a test needs it) with
// teardown, event collection and deadline-based polling.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { EventInput } from '../../src/event/index.js';
import type { RestartPolicyConfig } from '../../src/supervisor/restart-policy.js';
import { tracerSpec, type StorageSpec, type TracerSpec } from '../../src/supervisor/spec.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerEvent } from '../../src/supervisor/events.js';

export const memoryStoragePath = fileURLToPath(new URL('../fixtures/supervisor/memory-storage.js', import.meta.url));
export const realStoragePath = fileURLToPath(new URL('../../src/storage/actor.js', import.meta.url));

export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/tracers/${name}.js`, import.meta.url));
}

/** Restart timing scaled down so tests run in seconds; no jitter so delays are exact. */
export const fastRestart: RestartPolicyConfig = {
  initialDelayMs: 100,
  maxDelayMs: 800,
  factor: 2,
  jitter: 0,
  budgetCount: 20,
  budgetWindowMs: 60_000,
  disabledInitialMs: 500,
  disabledMaxMs: 2000,
  healthyResetMs: 60_000,
};

export function tempDir(t: TestContext, prefix = 'autotracer-sup-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function memoryStorage(dir: string, config: Record<string, unknown> = {}): StorageSpec {
  return {
    modulePath: memoryStoragePath,
    config: { path: dir, ...config },
    restart: { ...fastRestart, budgetCount: 2, budgetWindowMs: 10_000 },
    heartbeatMs: 1000,
    missedHeartbeats: 3,
    shutdownMs: 3000,
    startTimeoutMs: 10_000,
    mailboxMaxEvents: 10_000,
  };
}

/** The real LMDB storage actor (src/storage/actor.ts); fails loudly when it is not built. */
export function defaultTestStorage(dir: string): StorageSpec {
  if (!existsSync(realStoragePath)) throw new Error(`the storage actor is not built: ${realStoragePath}`);
  return { ...memoryStorage(dir), modulePath: realStoragePath, config: { path: join(dir, 'lmdb'), fsync: 'os' } };
}

export function tracer(name: string, moduleName: string, extra: Partial<TracerSpec> = {}): TracerSpec {
  return tracerSpec({ name, modulePath: fixture(moduleName), restart: { ...fastRestart }, shutdownMs: 2000, killAfterMs: 1000, ...extra });
}

export interface Harness {
  supervisor: Supervisor;
  events: TracerEvent[];
  dir: string;
}

export async function startSupervisor(t: TestContext, tracers: TracerSpec[], storage?: StorageSpec): Promise<Harness> {
  const dir = tempDir(t);
  const supervisor = new Supervisor({ storage: storage ?? defaultTestStorage(dir), tracers });
  const events: TracerEvent[] = [];
  supervisor.on('tracer', (e) => events.push(e));
  t.after(() => supervisor.stop());
  await supervisor.start();
  return { supervisor, events, dir };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The events a tracer saved, as relayed to storage, with their data parsed back. */
export function savedEvents(events: TracerEvent[], tracerName: string): (EventInput & { data: unknown })[] {
  return events.flatMap((e) => (e.type === 'events' && e.tracer === tracerName ? e.events.map((ev) => ({ ...ev, data: JSON.parse(ev.dataJson) as unknown })) : []));
}

export function crashes(events: TracerEvent[], tracerName: string): Extract<TracerEvent, { type: 'crash' }>[] {
  return events.filter((e): e is Extract<TracerEvent, { type: 'crash' }> => e.type === 'crash' && e.tracer === tracerName);
}

/** Largest gap between consecutive canary events (its own timestamps), and missing seqs. */
export function canaryReport(events: TracerEvent[]): { count: number; maxGapMs: number; missing: number } {
  const saved = savedEvents(events, 'canary').map((e) => ({ seq: (e.data as { seq: number }).seq, time: e.time }));
  saved.sort((a, b) => a.seq - b.seq);
  let maxGapMs = 0;
  let missing = 0;
  for (let i = 1; i < saved.length; i++) {
    maxGapMs = Math.max(maxGapMs, saved[i]!.time - saved[i - 1]!.time);
    missing += saved[i]!.seq - saved[i - 1]!.seq - 1;
  }
  return { count: saved.length, maxGapMs, missing };
}
