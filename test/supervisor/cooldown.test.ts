// The cooldown ledger lives in the supervisor and is written through to storage: a tracer
// crashing in a loop cannot fire before its cooldown ends, nor after an agent restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { crashes, defaultTestStorage, fastRestart, savedEvents, startSupervisor, tempDir, tracer, waitFor } from './harness.js';

const loop = { ...fastRestart, initialDelayMs: 30, maxDelayMs: 30, budgetCount: 1000 };

test('a tracer crashing in a loop cannot fire before its cooldown ends', async (t) => {
  // A 3 s cooldown: each restart starts a new worker, which took ~500 ms on a loaded machine, and
  // at least five crashes must fall between the two fires for the test to prove anything.
  const { supervisor, events } = await startSupervisor(t, [tracer('firer', 'cooldown-crasher', { cooldownSeconds: 3, restart: loop })]);
  await waitFor('two fires', () => savedEvents(events, 'firer').length >= 2, 20_000);
  const fires = savedEvents(events, 'firer').map((e) => e.time);
  const crashCount = crashes(events, 'firer').length;
  assert.ok(crashCount >= 5, `only ${crashCount} crashes: the loop was not tight enough to prove anything`);
  assert.ok(fires[1]! - fires[0]! >= 2990, `fired again after ${fires[1]! - fires[0]!} ms with a 3000 ms cooldown`);
  assert.equal(supervisor.tracerStatus('firer').hits, 2);
  t.diagnostic(`${crashCount} crashes between two fires ${fires[1]! - fires[0]!} ms apart`);
});

test('nor after an agent restart (ledger persisted in LMDB through the storage actor)', async (t) => {
  const dir = tempDir(t);
  const specs = [tracer('firer', 'cooldown-crasher', { cooldownSeconds: 3600, restart: loop })];

  const first = new Supervisor({ storage: defaultTestStorage(dir), tracers: specs });
  const firstEvents: TracerEvent[] = [];
  first.on('tracer', (e) => firstEvents.push(e));
  t.after(() => first.stop());
  await first.start();
  await waitFor('first fire', () => savedEvents(firstEvents, 'firer').length === 1 && true, 10_000);
  await first.stop();
  const armed = first.cooldownEntries();
  assert.equal(armed.length, 1);

  const second = new Supervisor({ storage: defaultTestStorage(dir), tracers: specs });
  const secondEvents: TracerEvent[] = [];
  second.on('tracer', (e) => secondEvents.push(e));
  t.after(() => second.stop());
  await second.start();
  assert.deepEqual(second.cooldownEntries(), armed, 'the ledger must be loaded from storage at start');
  await waitFor('five crashes after the restart', () => crashes(secondEvents, 'firer').length >= 5, 10_000);
  assert.equal(savedEvents(secondEvents, 'firer').length, 0, 'fired again after an agent restart');
  assert.equal(second.tracerStatus('firer').hits, 0);
});

test('per-key cooldowns are independent and check() does not arm', async (t) => {
  const { supervisor } = await startSupervisor(t, []);
  // Reach the ledger the way an actor does, through the supervisor's cooldown handler.
  const cooldown = (supervisor as unknown as { cooldown(t: string, op: string, k: string, s: number): Promise<{ ready: boolean; armed: boolean }> }).cooldown.bind(supervisor);
  assert.equal((await cooldown('x', 'check', 'c1', 60)).ready, true);
  assert.equal((await cooldown('x', 'try-arm', 'c1', 60)).armed, true);
  assert.equal((await cooldown('x', 'try-arm', 'c1', 60)).armed, false);
  assert.equal((await cooldown('x', 'try-arm', 'c2', 60)).armed, true, 'another container has its own cooldown');
  assert.equal((await cooldown('x', 'check', '', 60)).ready, true, 'the global key is separate');
});
