// The largest event: ctx.save() refuses data above MAX_EVENT_DATA_BYTES with EVENT_TOO_LARGE
// in the tracer that made it (a 300 MB event once cost 3.2 GB peak RSS across three threads),
// and storage refuses it too if it ever arrives. A real tracer actor and storage actor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { MAX_EVENT_DATA_BYTES } from '../../src/event/index.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { actorPath, defer, makeEvent, openStore, tempDir } from './helpers.js';

const bigSaver = fileURLToPath(new URL('../fixtures/storage/big-saver.js', import.meta.url));
const restart = { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0, budgetCount: 3, budgetWindowMs: 60_000, disabledInitialMs: 500, disabledMaxMs: 2000, healthyResetMs: 60_000 };

test('ctx.save() of more than MAX_EVENT_DATA_BYTES fails with EVENT_TOO_LARGE; smaller events are stored', { timeout: 60_000 }, async (t) => {
  assert.equal(MAX_EVENT_DATA_BYTES, 8 * 1024 * 1024);
  const dir = tempDir(t);
  const supervisor = new Supervisor({
    storage: { modulePath: actorPath, config: { path: dir, fsync: 'os' }, restart, heartbeatMs: 1000, missedHeartbeats: 5, shutdownMs: 5000, startTimeoutMs: 15_000, mailboxMaxEvents: 1000 },
    tracers: [tracerSpec({ name: 'big-saver', modulePath: bigSaver, restart, shutdownMs: 3000, killAfterMs: 1000 })],
  });
  defer(t, () => supervisor.stop());
  await supervisor.start();
  await assert.rejects(supervisor.trigger('big-saver', { reason: String(MAX_EVENT_DATA_BYTES + 1) }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'EVENT_TOO_LARGE');
    assert.match(err.message, /above the limit of 8388608 bytes/);
    return true;
  });
  await supervisor.trigger('big-saver', { reason: String(1024 * 1024) });
  const stored = await supervisor.query({ tracer: 'big-saver' });
  assert.equal(stored.events.length, 1);
  assert.equal(supervisor.tracerStatus('big-saver').restarts, 0);
});

test('storage refuses an oversized event that did not come through ctx.save()', async (t) => {
  const store = openStore(t, { path: tempDir(t) });
  const big = { ...makeEvent(), dataJson: JSON.stringify('q'.repeat(MAX_EVENT_DATA_BYTES)) };
  await assert.rejects(store.storeBatch([big]), (err: Error & { code?: string }) => err.code === 'STORAGE_INVALID_EVENT' && /above the limit/.test(err.message));
});
