// The hooks the HTTP API and /metrics build on: stop and start one tracer at runtime, the
// 'stored' announcement after storage acknowledged a batch, the drained storage metrics,
// cooldown skips, and BPF run statistics carried across an actor restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import type { CodedError } from '../../src/common/coded-error.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { crashes, savedEvents, startSupervisor, tracer, waitFor } from './harness.js';

const code = (expected: string) => (err: unknown) => (err as CodedError).code === expected;

test('stopTracer stops one tracer gracefully and for good; startTracer brings it back', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('canary', 'canary'), tracer('returner', 'returns-normally')]);
  await waitFor('canary saving', () => savedEvents(events, 'canary').length >= 2);

  const stopped = await supervisor.stopTracer('canary');
  assert.equal(stopped.outcome, 'graceful');
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.pid, undefined);
  assert.equal(stopped.lastExit?.reason, 'stopped');
  const savedAtStop = savedEvents(events, 'canary').length;
  // Not restarted: well past the 100 ms restart delay it is still stopped and silent,
  // while the other tracer keeps running.
  const otherBefore = savedEvents(events, 'returner').length;
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(supervisor.tracerStatus('canary').state, 'stopped');
  assert.equal(savedEvents(events, 'canary').length, savedAtStop);
  assert.equal(supervisor.tracerStatus('canary').restarts, 0);
  assert.equal(crashes(events, 'canary').length, 0);
  assert.ok(savedEvents(events, 'returner').length > otherBefore, 'the other tracer must keep running');
  await assert.rejects(supervisor.stopTracer('canary'), code('TRACER_NOT_RUNNING'));

  const started = await supervisor.startTracer('canary');
  assert.equal(started.state, 'running');
  await assert.rejects(supervisor.startTracer('canary'), code('TRACER_ALREADY_RUNNING'));
  await waitFor('canary saving again', () => savedEvents(events, 'canary').length >= savedAtStop + 2);
  await assert.rejects(supervisor.startTracer('ghost'), code('UNKNOWN_TRACER'));
  await assert.rejects(supervisor.stopTracer('ghost'), code('UNKNOWN_TRACER'));

  // Concurrent requests are serialized: exactly one stop wins, the other sees it stopped.
  const results = await Promise.allSettled([supervisor.stopTracer('canary'), supervisor.stopTracer('canary')]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal(supervisor.tracerStatus('canary').state, 'stopped');
});

test("'stored' announces the tracer ids storage acknowledged, each once, readable by id", async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('canary', 'canary')]);
  await waitFor('ten stored', () => events.filter((e) => e.type === 'stored').flatMap((e) => (e.type === 'stored' ? e.tracerIds : [])).length >= 10);
  await supervisor.stopTracer('canary');
  const stored = events.filter((e): e is Extract<TracerEvent, { type: 'stored' }> => e.type === 'stored');
  const ids = stored.flatMap((e) => e.tracerIds);
  assert.ok(stored.every((e) => e.tracer === 'canary'));
  assert.equal(new Set(ids).size, ids.length, 'an id announced twice');
  // Every announced id is already readable, and every stored document was announced.
  const doc = await supervisor.getEvent(ids[0]!);
  assert.equal(doc?.tracer_id, ids[0]);
  const { events: all } = await supervisor.query({ tracer: 'canary', limit: 10_000 });
  assert.deepEqual(all.map((d) => d.tracer_id).sort(), [...ids].sort());
  assert.equal(supervisor.tracerStatus('canary').eventsStored, ids.length);
});

test('storageMetrics() returns the latest report and drains the write latencies', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [tracer('canary', 'canary')]);
  await waitFor('events stored', () => savedEvents(events, 'canary').length >= 3);
  // The storage actor reports every second.
  const first = await waitFor('a latency report', () => {
    const m = supervisor.storageMetrics();
    return m.writeLatencySeconds.length > 0 ? m : undefined;
  });
  assert.ok(first.latest !== undefined && first.latest.eventsStored >= 1);
  assert.ok(first.writeLatencySeconds.every((s) => Number.isFinite(s) && s >= 0 && s < 60));
  await supervisor.stopTracer('canary');
  // Nothing is written any more: after the next report, nothing new to drain.
  await new Promise((r) => setTimeout(r, 1300));
  supervisor.storageMetrics();
  assert.deepEqual(supervisor.storageMetrics().writeLatencySeconds, []);
});

test('cooldown skips: every tryArm after the first arm is counted as a skip', async (t) => {
  const { supervisor } = await startSupervisor(t, [
    tracerSpec({ name: 'example', modulePath: builtinTracers.example!.modulePath, settings: { loadThreshold: 0, sampleMs: 20 }, cooldownSeconds: 3600 }),
  ]);
  // Threshold 0: it asks tryArm every 20 ms.
  await waitFor('ten skips', () => supervisor.tracerStatus('example').cooldownSkips >= 10, 10_000);
  const s = supervisor.tracerStatus('example');
  assert.equal(s.hits, 1, 'armed once, then held by the cooldown');
  // Counted in the main thread: an actor restart keeps them.
  await supervisor.stopTracer('example');
  await supervisor.startTracer('example');
  assert.ok(supervisor.tracerStatus('example').cooldownSkips >= s.cooldownSkips);
  await supervisor.trigger('example', { reason: 'test' });
  assert.equal(supervisor.tracerStatus('example').manualTriggers, 1);
});

test('BPF run statistics per program, monotonic across an actor stop and start', async (t) => {
  const { supervisor } = await startSupervisor(t, [tracer('schedcount', 'bpf-sched-count', { metricsIntervalMs: 200, bpfStats: true })]);
  const runs = () => supervisor.tracerStatus('schedcount').bpfPrograms.reduce((n, p) => n + p.runCount, 0);
  await waitFor('sched_switch runs counted', () => runs() > 0, 10_000);
  const programs = supervisor.tracerStatus('schedcount').bpfPrograms;
  assert.equal(programs.length, 1);
  assert.equal(programs[0]!.object, 'sched_count');
  assert.ok(programs[0]!.runTimeNs > 0);
  t.diagnostic(`program ${programs[0]!.program}: ${programs[0]!.runCount} runs, ${(programs[0]!.runTimeNs / programs[0]!.runCount).toFixed(0)} ns per run`);
  await supervisor.stopTracer('schedcount');
  // The final report on stop is kept; the next instance starts from zero and adds to it.
  const atStop = runs();
  assert.ok(atStop >= programs[0]!.runCount);
  await supervisor.startTracer('schedcount');
  assert.ok(runs() >= atStop, 'totals must not go back after a restart');
  await waitFor('more runs after the restart', () => runs() > atStop, 10_000);
});

test('bpfStats: false leaves run statistics off', async (t) => {
  const { supervisor } = await startSupervisor(t, [tracer('schedcount', 'bpf-sched-count', { metricsIntervalMs: 200, bpfStats: false })]);
  await waitFor('a BPF report', () => supervisor.tracerStatus('schedcount').bpfPrograms.length > 0, 10_000);
  await new Promise((r) => setTimeout(r, 500));
  // Another process on this shared machine may hold a stats handle of its own (the kernel
  // then counts for everyone): only assert when nobody does.
  const p = supervisor.tracerStatus('schedcount').bpfPrograms[0]!;
  if (p.runCount > 0) t.diagnostic(`runs counted with bpfStats off: another holder of bpf_enable_stats is active (${p.runCount})`);
  else assert.equal(p.runTimeNs, 0);
});
