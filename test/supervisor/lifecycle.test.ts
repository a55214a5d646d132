// Lifecycle semantics that are not crashes: a tracer whose kernel support is missing is
// `unavailable` and not restarted (the rest keeps running); a normal return from start()
// is started again after `interval` (the seed's semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashes, savedEvents, startSupervisor, tracer, waitFor } from './harness.js';

test('a tracer without kernel support is unavailable, not restarted; others run', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('canary', 'canary'), tracer('nokernel', 'unavailable')]);
  await waitFor('unavailable', () => supervisor.tracerStatus('nokernel').state === 'unavailable');
  await new Promise((r) => setTimeout(r, 500));
  const status = supervisor.tracerStatus('nokernel');
  assert.equal(status.state, 'unavailable');
  assert.match(status.stateReason ?? '', /sched_imaginary/);
  assert.equal(status.lastError?.code, 'TRACER_UNAVAILABLE');
  assert.equal(status.restarts, 0);
  assert.equal(crashes(events, 'nokernel').length, 0);
  assert.equal(supervisor.tracerStatus('canary').state, 'running');
  assert.ok(savedEvents(events, 'canary').length > 0);
});

test('a normal return from start() is restarted after interval and is not a crash', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('returner', 'returns-normally')]);
  await waitFor('three returns', () => supervisor.tracerStatus('returner').normalReturns >= 3, 5000);
  const status = supervisor.tracerStatus('returner');
  assert.equal(status.restarts, 0);
  assert.equal(status.state, 'running');
  const times = savedEvents(events, 'returner').map((e) => e.time);
  assert.ok(times.length >= 3);
  // interval is 0.2 s: starts are spaced by at least that.
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 190, `starts ${times[i]! - times[i - 1]!} ms apart`);
});

test('the same tracer module runs in a child process with the same lifecycle', async (t) => {
  const { supervisor } = await startSupervisor(t, [tracer('returner', 'returns-normally', { isolation: 'process' })]);
  await waitFor('two returns', () => supervisor.tracerStatus('returner').normalReturns >= 2, 5000);
  const status = supervisor.tracerStatus('returner');
  assert.equal(status.isolation, 'process');
  assert.notEqual(status.pid, process.pid);
  assert.ok(status.eventsStored >= 2);
});

test('status carries heartbeat age, event-loop utilization and CPU seconds', async (t) => {
  const { supervisor } = await startSupervisor(t, [
    tracer('busy', 'busy', { heartbeatMs: 100 }),
    tracer('canary', 'canary', { heartbeatMs: 100, isolation: 'process' }),
  ]);
  await waitFor('busy accumulates CPU time', () => supervisor.tracerStatus('busy').cpuSeconds >= 0.5, 10_000);
  const busy = supervisor.tracerStatus('busy');
  assert.ok(busy.eventLoopUtilization > 0.5, `busy ELU ${busy.eventLoopUtilization}`);
  const canary = supervisor.tracerStatus('canary');
  assert.ok(canary.heartbeatAgeMs !== undefined && canary.heartbeatAgeMs < 1000);
  assert.ok(canary.eventLoopUtilization < 0.5, `canary ELU ${canary.eventLoopUtilization}`);
  // Per-thread accounting: the busy thread's CPU is not charged to the canary.
  assert.ok(canary.cpuSeconds < busy.cpuSeconds, `canary ${canary.cpuSeconds} s vs busy ${busy.cpuSeconds} s`);
  const all = supervisor.status();
  assert.deepEqual(all.actors.map((a) => a.name), ['storage', 'busy', 'canary']);
  assert.deepEqual(all.actors.map((a) => a.state), ['running', 'running', 'running']);
});

test('data JSON cannot carry fails only that save, with EVENT_NOT_JSON, in the tracer', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('unsafe-saver', 'unsafe-saver')]);
  const saved = await waitFor('the outcome event', () => savedEvents(events, 'unsafe-saver')[0]);
  assert.deepEqual(saved.data, { outcome: 'EVENT_NOT_JSON' });
  assert.equal(savedEvents(events, 'unsafe-saver').length, 1, 'the BigInt event never left the tracer');
  await waitFor('stored', () => supervisor.tracerStatus('unsafe-saver').eventsStored === 1);
  assert.equal(supervisor.tracerStatus('unsafe-saver').state, 'running');
  assert.equal(crashes(events, 'unsafe-saver').length, 0);
});
