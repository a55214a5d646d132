// The seed's example tracer end to end: registered in src/actors/tracers/example, run by
// the supervisor in its own actor, fires once under its cooldown, exports metrics, and
// a manual trigger stores a `manual` event with the container id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { defaultTestStorage, savedEvents, startSupervisor, tempDir, waitFor } from '../supervisor/harness.js';

for (const isolation of ['thread', 'process'] as const) {
  test(`example tracer end to end (${isolation})`, async (t) => {
    const { supervisor, events } = await startSupervisor(t, [
      tracerSpec({
        name: 'example', modulePath: builtinTracers.example!.modulePath, isolation,
        settings: { loadThreshold: 0, sampleMs: 20 }, cooldownSeconds: 3600, metricsIntervalMs: 100,
      }),
    ], defaultTestStorage(tempDir(t)));
    await waitFor('first capture', () => savedEvents(events, 'example').length >= 1);
    await waitFor('metrics', () => supervisor.tracerStatus('example').metrics.length > 0);
    // Sampling every 20 ms with threshold 0: only the cooldown stops it from firing again.
    await new Promise((r) => setTimeout(r, 300));
    const auto = savedEvents(events, 'example');
    assert.equal(auto.length, 1, 'the cooldown must hold');
    assert.equal(auto[0]!.tracerType, 'autotracing');
    assert.equal(supervisor.tracerStatus('example').hits, 1);
    const metrics = supervisor.tracerStatus('example').metrics;
    assert.deepEqual(metrics.map((m) => m.name), ['example_load1', 'example_fired_total']);
    assert.equal(metrics[1]!.value, 1);

    await supervisor.trigger('example', { containerId: 'abc123', reason: 'operator' });
    const all = savedEvents(events, 'example');
    assert.equal(all.length, 2);
    const manual = all[1]!;
    assert.equal(manual.tracerType, 'manual');
    assert.equal(manual.container?.id, 'abc123');
    assert.equal((manual.data as { reason: string }).reason, 'operator');
    // Durable: storage holds both, as HUATUO documents with a tracer_id.
    const { events: stored } = await supervisor.query({ tracer: 'example' });
    assert.deepEqual(stored.map((e) => e.tracer_type).sort(), ['autotracing', 'manual']);
    assert.ok(stored.every((e) => e.tracer_id.length > 0 && e.tracer_name === 'example'));
    const manualDoc = stored.find((e) => e.tracer_type === 'manual')!;
    assert.equal(manualDoc.container_id, 'abc123');
    assert.deepEqual(await supervisor.getEvent(manualDoc.tracer_id), manualDoc);
    await assert.rejects(supervisor.trigger('nope'), { code: 'UNKNOWN_TRACER' });
  });
}

test('an event tracer stores tracer_type "event"', async (t) => {
  const modulePath = new URL('../fixtures/tracers/kernel-event.js', import.meta.url).pathname;
  const { supervisor, events } = await startSupervisor(t, [tracerSpec({ name: 'kernel-event', modulePath })], defaultTestStorage(tempDir(t)));
  await waitFor('the event', () => savedEvents(events, 'kernel-event').length >= 1);
  assert.equal(savedEvents(events, 'kernel-event')[0]!.tracerType, 'event');
  // The batch above is what the supervisor relayed to storage; query only once storage has
  // acknowledged it (on a loaded machine the query could otherwise run first and find nothing).
  await waitFor('storage to acknowledge it', () => events.some((e) => e.type === 'stored' && e.tracer === 'kernel-event'));
  const { events: stored } = await supervisor.query({ tracer: 'kernel-event' });
  assert.deepEqual(stored.map((e) => e.tracer_type), ['event']);
});
