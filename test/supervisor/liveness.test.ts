// Thread actors prove they are alive without waking up: the supervisor reads each worker's
// event-loop utilization from the main thread, and pings only a loop that shows no idle
// time (src/supervisor/liveness.ts). Process actors keep their periodic heartbeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashes, startSupervisor, tracer, waitFor } from './harness.js';
import type { TracerEvent } from '../../src/supervisor/events.js';

function heartbeatMessages(events: TracerEvent[], name: string): number {
  return events.filter((e) => e.type === 'heartbeat' && e.tracer === name).length;
}

test('an idle thread actor sends only its boot heartbeat, yet its heartbeat age stays fresh', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [
    tracer('canary', 'canary', { heartbeatMs: 100 }),
    tracer('returner', 'returns-normally', { heartbeatMs: 100, isolation: 'process' }),
  ]);
  await waitFor('both running', () => supervisor.tracerStatus('canary').state === 'running' && supervisor.tracerStatus('returner').state === 'running');
  const idleBefore = heartbeatMessages(events, 'canary');
  const procBefore = heartbeatMessages(events, 'returner');
  let maxAge = 0;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    maxAge = Math.max(maxAge, supervisor.tracerStatus('canary').heartbeatAgeMs ?? Infinity);
  }
  assert.equal(idleBefore, 1, 'one boot heartbeat message from the thread actor');
  // The canary saves an event every 100 ms, so its loop is idle most of the time: no pings.
  assert.ok(heartbeatMessages(events, 'canary') - idleBefore <= 2, `thread actor sent ${heartbeatMessages(events, 'canary') - idleBefore} heartbeats in 2 s`);
  assert.ok(maxAge < 1000, `thread heartbeat age reached ${maxAge} ms (watchdog every 100 ms)`);
  assert.ok(heartbeatMessages(events, 'returner') - procBefore >= 10, 'the child process still sends a heartbeat every 100 ms');
  assert.equal(crashes(events, 'canary').length, 0);
  const idle = supervisor.tracerStatus('canary');
  assert.ok(idle.cpuSeconds > 0, `CPU seconds read by the supervisor from /proc/self/task/<tid>/stat: ${idle.cpuSeconds}`);
  assert.ok(idle.eventLoopUtilization >= 0 && idle.eventLoopUtilization < 0.5, `idle ELU ${idle.eventLoopUtilization}`);
});

test('a thread actor whose loop is never idle answers pings and is not taken for hung', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('busy', 'busy', { heartbeatMs: 100, missedHeartbeats: 3 })]);
  await waitFor('busy running', () => supervisor.tracerStatus('busy').state === 'running');
  const before = heartbeatMessages(events, 'busy');
  await new Promise((r) => setTimeout(r, 2000));
  const answered = heartbeatMessages(events, 'busy') - before;
  assert.ok(answered >= 5, `only ${answered} answers to pings in 2 s (one ping per 100 ms tick)`);
  assert.equal(crashes(events, 'busy').length, 0, 'a busy loop is not a hang');
  const busy = supervisor.tracerStatus('busy');
  assert.equal(busy.restarts, 0);
  assert.ok(busy.eventLoopUtilization > 0.9, `busy ELU ${busy.eventLoopUtilization}`);
});
