// What a tracer author sees while developing: a crash keeps its source-mapped stack and a
// code (status and one log entry per crash), a manual start of a tracer that is waiting to
// restart or disabled starts it now with its crash budget reset, and a manual start waits
// for a sign of life, reporting a tracer that crashes right after its start() began
// instead of calling it running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { testAddonPath } from '../../src/paths.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerSpec } from '../../src/supervisor/spec.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { crashes, defaultTestStorage, fastRestart, tempDir, tracer, waitFor } from './harness.js';

/** A supervisor whose log lines are kept (the harness one discards them). */
async function supervisorWithLog(t: TestContext, tracers: TracerSpec[]) {
  const supervisor = new Supervisor({
    storage: defaultTestStorage(tempDir(t)),
    tracers,
    log: (level, msg) => logs.push({ level, msg }),
  });
  const logs: { level: string; msg: string }[] = [];
  const events: TracerEvent[] = [];
  supervisor.on('tracer', (e) => events.push(e));
  t.after(() => supervisor.stop());
  await supervisor.start();
  return { supervisor, logs, events };
}

for (const isolation of ['thread', 'process'] as const) {
  test(`${isolation}: a crash keeps the source-mapped stack and a code, logged once per crash`, async (t) => {
    const { supervisor, logs, events } = await supervisorWithLog(t, [tracer('victim', 'crash-sync-throw', { isolation })]);
    await waitFor('two crashes', () => crashes(events, 'victim').length >= 2, 10_000);
    await supervisor.stopTracer('victim');
    const error = supervisor.tracerStatus('victim').lastError!;
    assert.equal(error.message, 'sync throw in start');
    assert.equal(error.code, 'UNCAUGHT_EXCEPTION');
    // Mapped to the TypeScript source (line 9 throws), not the compiled dist/*.js.
    assert.match(error.stack ?? '', /test\/fixtures\/tracers\/crash-sync-throw\.ts:9:\d+/);
    assert.doesNotMatch(error.stack ?? '', /crash-sync-throw\.js/);
    const crashLogs = logs.filter((l) => l.msg.startsWith('[victim] crashed'));
    assert.equal(crashLogs.length, crashes(events, 'victim').length, 'one log entry per crash');
    for (const l of crashLogs) {
      assert.match(l.msg, /\n\s+at .*crash-sync-throw\.ts:9:\d+/);
      assert.equal(l.msg.split('sync throw in start').length - 1, 1, 'the message is not repeated by the stack');
    }
  });
}

test('a native crash is coded by its signal, a hang by the missed heartbeats', async (t) => {
  assert.ok(existsSync(testAddonPath), `the test-only addon must be built (${testAddonPath})`);
  // Both fixtures register 'victim': one supervisor each.
  const segv = await supervisorWithLog(t, [tracer('victim', 'crash-native-segv', { isolation: 'process' })]);
  await waitFor('a segv', () => crashes(segv.events, 'victim').length >= 1, 15_000);
  assert.equal(segv.supervisor.tracerStatus('victim').lastError?.code, 'SIGSEGV');
  const hang = await supervisorWithLog(t, [tracer('victim', 'crash-infinite-loop', { heartbeatMs: 100 })]);
  await waitFor('a hang', () => crashes(hang.events, 'victim').length >= 1, 15_000);
  assert.equal(hang.supervisor.tracerStatus('victim').lastError?.code, 'HEARTBEAT_MISSED');
});

test('a manual start of a disabled tracer starts it now and resets its crash budget', async (t) => {
  const dir = tempDir(t);
  // Disabled for a minute after two crashes: only a manual start brings it back in time.
  const restart = { ...fastRestart, initialDelayMs: 50, budgetCount: 1, disabledInitialMs: 60_000, disabledMaxMs: 60_000 };
  const { supervisor, events } = await supervisorWithLog(t, [tracer('planned', 'crash-plan', { restart, settings: { dir, crashFirst: 2 } })]);
  await waitFor('disabled', () => supervisor.tracerStatus('planned').state === 'disabled', 10_000);
  const started = await supervisor.startTracer('planned');
  assert.equal(started.state, 'running');
  // Budget reset: one more crash is within the budget again (restart, not disable).
  writeFileSync(join(dir, 'boom'), '');
  await waitFor('third crash', () => crashes(events, 'planned').length >= 3, 10_000);
  assert.deepEqual(crashes(events, 'planned').map((c) => c.action), ['restart', 'disable', 'restart']);
  await waitFor('running again', () => supervisor.tracerStatus('planned').state === 'running', 10_000);
});

test('a manual start waits for a sign of life: a tracer that crashes right after start is reported, not "running"', async (t) => {
  const slowRestart = { ...fastRestart, initialDelayMs: 60_000, maxDelayMs: 60_000 };
  const { supervisor } = await supervisorWithLog(t, [
    tracer('ondemand', 'crash-on-demand', { restart: slowRestart, settings: { crashAfterMs: 150 } }),
    tracer('canary', 'canary'),
  ]);
  await supervisor.stopTracer('ondemand');
  const status = await supervisor.startTracer('ondemand');
  assert.equal(status.state, 'restarting');
  assert.equal(status.lastError?.message, 'planned crash');
  assert.match(status.lastError?.stack ?? '', /crash-on-demand\.ts:\d+/);
  // A healthy tracer is still reported running, after its sign of life.
  await supervisor.stopTracer('canary');
  const canary = await supervisor.startTracer('canary');
  assert.equal(canary.state, 'running');
  assert.ok(canary.heartbeatAgeMs !== undefined && canary.heartbeatAgeMs < 1000, `heartbeat age ${canary.heartbeatAgeMs}`);
});
