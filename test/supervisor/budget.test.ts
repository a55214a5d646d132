// Budget exhaustion → disabled → re-enabled after the disabled backoff; a healthy run
// resets the budget (the next crash restarts with the initial delay instead of disabling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crashes, startSupervisor, tempDir, tracer, waitFor } from './harness.js';

test('over budget the tracer is disabled, re-enabled after backoff, and success resets the budget', async (t) => {
  const dir = tempDir(t);
  const restart = {
    initialDelayMs: 50, maxDelayMs: 1000, factor: 2, jitter: 0,
    budgetCount: 2, budgetWindowMs: 30_000,
    disabledInitialMs: 400, disabledMaxMs: 5000, healthyResetMs: 1000,
  };
  const { supervisor, events } = await startSupervisor(t, [
    tracer('planned', 'crash-plan', { restart, settings: { dir, crashFirst: 3 } }),
  ]);
  await waitFor('disabled', () => supervisor.tracerStatus('planned').state === 'disabled', 10_000);
  const status = supervisor.tracerStatus('planned');
  assert.match(status.stateReason ?? '', /over budget/);
  assert.deepEqual(crashes(events, 'planned').map((c) => `${c.action}:${c.delayMs}`), ['restart:50', 'restart:100', 'disable:400']);

  const disabledAt = Date.now();
  await waitFor('re-enabled and running', () => supervisor.tracerStatus('planned').state === 'running', 10_000);
  assert.ok(Date.now() - disabledAt >= 350, 're-enabled before the disabled backoff elapsed');

  // Healthy for longer than healthyResetMs, then one crash: budget and backoff start over.
  await new Promise((r) => setTimeout(r, 1200));
  writeFileSync(join(dir, 'boom'), '');
  await waitFor('fourth crash', () => crashes(events, 'planned').length >= 4, 10_000);
  const fourth = crashes(events, 'planned')[3]!;
  assert.deepEqual([fourth.action, fourth.delayMs], ['restart', 50], 'a healthy run must reset the budget');
  await waitFor('running again', () => supervisor.tracerStatus('planned').state === 'running', 10_000);
  assert.equal(supervisor.tracerStatus('planned').restarts, 4);
});

test('without a healthy run, a crash after re-enabling disables again with a longer backoff', async (t) => {
  const dir = tempDir(t);
  const restart = {
    initialDelayMs: 50, maxDelayMs: 1000, factor: 2, jitter: 0,
    budgetCount: 2, budgetWindowMs: 30_000,
    disabledInitialMs: 300, disabledMaxMs: 5000, healthyResetMs: 60_000,
  };
  const { events } = await startSupervisor(t, [
    tracer('planned', 'crash-plan', { restart, settings: { dir, crashFirst: 4 } }),
  ]);
  await waitFor('four crashes', () => crashes(events, 'planned').length >= 4, 10_000);
  assert.deepEqual(crashes(events, 'planned').map((c) => `${c.action}:${c.delayMs}`), ['restart:50', 'restart:100', 'disable:300', 'disable:600']);
});
