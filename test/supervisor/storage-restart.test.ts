// Storage restarting does not restart tracers: their batches wait in a bounded mailbox
// (drop-oldest, counted) and are delivered after the restart. Only storage exceeding its
// restart budget is fatal to the agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { fastRestart, memoryStorage, tempDir, tracer, waitFor } from './harness.js';

test('tracers keep running while storage restarts; held events are stored afterwards', async (t) => {
  const dir = tempDir(t);
  const storage = { ...memoryStorage(dir, { crashAfterMs: 600 }), restart: { ...fastRestart, initialDelayMs: 300, budgetCount: 1 } };
  const supervisor = new Supervisor({ storage, tracers: [tracer('canary', 'canary')] });
  const fatal: Error[] = [];
  supervisor.on('fatal', (e) => fatal.push(e));
  t.after(() => supervisor.stop());
  await supervisor.start();
  await waitFor('storage restarted once', () => supervisor.status().actors[0]!.restarts === 1 && supervisor.status().actors[0]!.state === 'running', 5000);
  const canary = supervisor.tracerStatus('canary');
  assert.equal(canary.restarts, 0);
  // Events saved during the 300 ms outage were held and stored after the restart.
  await waitFor('all sent events stored', () => {
    const s = supervisor.tracerStatus('canary');
    return s.eventsStored >= s.eventsSent - 3 && s.eventsStored > 6;
  }, 5000);
  assert.equal(supervisor.status().mailbox.droppedEvents, 0);
  // Second crash: over its budget of 1 → fatal.
  await waitFor('fatal', () => fatal.length > 0 || undefined, 5000);
  assert.equal((fatal[0] as { code?: string }).code, 'STORAGE_OVER_BUDGET');
  assert.equal(supervisor.tracerStatus('canary').restarts, 0, 'tracers are never restarted because storage was');
});

test('the mailbox drops the oldest batches beyond its bound and counts them', async (t) => {
  const dir = tempDir(t);
  const storage = { ...memoryStorage(dir, { crashAfterMs: 300 }), mailboxMaxEvents: 3, restart: { ...fastRestart, initialDelayMs: 1200, budgetCount: 5 } };
  const supervisor = new Supervisor({ storage, tracers: [tracer('canary', 'canary', { batch: { maxEvents: 1, maxDelayMs: 10 } })] });
  const events: TracerEvent[] = [];
  supervisor.on('tracer', (e) => events.push(e));
  t.after(() => supervisor.stop());
  await supervisor.start();
  await waitFor('storage back after a 1.2 s outage', () => supervisor.status().actors[0]!.restarts >= 1 && supervisor.status().actors[0]!.state === 'running', 5000);
  const { mailbox } = supervisor.status();
  // ~12 events during the outage, 3 kept.
  assert.ok(mailbox.droppedEvents >= 5, `dropped ${mailbox.droppedEvents}`);
  assert.equal(supervisor.tracerStatus('canary').restarts, 0);
});
