// Control calls: manual trigger limits, status and config round trips, and calls to a
// dead actor settle (raced against its exit) instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { savedEvents, startSupervisor, tracer, waitFor } from './harness.js';

test('manual trigger: one at a time per tracer, tagged manual; refused when not running or unsupported', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [
    tracer('slow', 'slow-trigger', { settings: { a: 1 } }),
    tracer('canary', 'canary'),
    tracer('nokernel', 'unavailable'),
  ]);
  await waitFor('nokernel unavailable', () => supervisor.tracerStatus('nokernel').state === 'unavailable');
  const first = supervisor.trigger('slow', { reason: 'one' });
  await assert.rejects(supervisor.trigger('slow', { reason: 'two' }), { code: 'TRIGGER_BUSY' });
  await first;
  const saved = savedEvents(events, 'slow');
  assert.equal(saved.length, 1);
  assert.equal(saved[0]!.tracerType, 'manual');
  await assert.rejects(supervisor.trigger('canary'), { code: 'TRIGGER_UNSUPPORTED' });
  await assert.rejects(supervisor.trigger('nokernel'), { code: 'TRACER_NOT_RUNNING' });
});

test('config and status control calls', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('slow', 'slow-trigger', { settings: { a: 1 } })]);
  const self = await supervisor.actorStatus('slow');
  assert.equal(self.phase, 'running');
  assert.equal(self.starts, 1);
  await supervisor.configure('slow', { a: 2 });
  await supervisor.trigger('slow');
  assert.deepEqual((savedEvents(events, 'slow')[0]!.data as { config: unknown }).config, { a: 2 });
});

test('a control call pending on an actor that dies settles with ACTOR_EXITED', async (t) => {
  const { supervisor } = await startSupervisor(t, [tracer('slow', 'slow-trigger', { isolation: 'process' })]);
  const pid = supervisor.tracerStatus('slow').pid!;
  const pending = supervisor.trigger('slow');
  process.kill(pid, 'SIGKILL');
  await assert.rejects(pending, { code: 'ACTOR_EXITED' });
  assert.equal(supervisor.tracerStatus('slow').lastExit?.signal, 'SIGKILL');
});

test('a control call to an actor whose event loop is stuck times out with CALL_TIMEOUT', async (t) => {
  // Heartbeat watchdog at 3 × 2 s, so the call timeout (200 ms) fires first.
  const { supervisor } = await startSupervisor(t, [tracer('victim', 'crash-infinite-loop', { heartbeatMs: 2000, callTimeoutMs: 200, shutdownMs: 200, killAfterMs: 200 })]);
  await new Promise((r) => setTimeout(r, 150)); // the fixture starts spinning 50 ms in
  const began = Date.now();
  await assert.rejects(supervisor.actorStatus('victim'), { code: 'CALL_TIMEOUT' });
  assert.ok(Date.now() - began < 2000);
});
