// Readiness covers what the agent needs to take and keep events: storage running and able
// to write, and this HTTP server. A tracer that is disabled (over its crash budget: a tracer
// under development, an opt-in tracer this host cannot run) must not take the agent out of
// readiness; its state is in /api/v1/tracers and the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { call, fastRestart, startAgent, waitFor } from './support.js';

const crasher = fileURLToPath(new URL('../fixtures/tracers/crash-sync-throw.js', import.meta.url));

test('/readyz stays ready while a tracer is disabled; it reports the storage state', async (t) => {
  const agent = await startAgent(t, {}, [
    tracerSpec({ name: 'victim', modulePath: crasher, restart: { ...fastRestart, budgetCount: 1, disabledInitialMs: 60_000, disabledMaxMs: 60_000 }, shutdownMs: 2000, killAfterMs: 1000 }),
  ]);
  const base = agent.server.url;
  await waitFor('the tracer disabled', () => agent.supervisor.tracerStatus('victim').state === 'disabled' || undefined, 20_000);
  const r = await call(base, 'GET', '/readyz');
  assert.equal(r.status, 200, r.text);
  const data = r.json().data as { ready: boolean; notReady: unknown[]; storage: { state: string } };
  assert.equal(data.ready, true);
  assert.deepEqual(data.notReady, []);
  assert.equal(data.storage.state, 'ok');
  // The tracer's state is still visible where tracers are listed.
  const tracers = (await call(base, 'GET', '/api/v1/tracers')).json().data as { name: string; state: string }[];
  assert.equal(tracers[0]?.state, 'disabled');
});
