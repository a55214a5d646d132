// For each failure mode the victim restarts with the configured delays (100, 200, 400 ms
// here) and its crash is classified, while a canary emitting every 100 ms in its own
// actor shows no gap over 300 ms and is never restarted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { testAddonPath } from '../../src/paths.js';
import type { Isolation } from '../../src/actors/protocol.js';
import type { CrashReason } from '../../src/supervisor/status.js';
import { canaryReport, crashes, startSupervisor, tracer, waitFor } from './harness.js';

interface Mode {
  fixture: string;
  reason: CrashReason;
  isolation: Isolation;
  extra?: Parameters<typeof tracer>[2];
}

const modes: Record<string, Mode> = {
  'sync throw in start': { fixture: 'crash-sync-throw', reason: 'uncaught-exception', isolation: 'thread' },
  'rejected start promise': { fixture: 'crash-rejected-promise', reason: 'uncaught-exception', isolation: 'thread' },
  'unhandled rejection later': { fixture: 'crash-unhandled-rejection', reason: 'unhandled-rejection', isolation: 'thread' },
  'process.exit(3)': { fixture: 'crash-process-exit', reason: 'exit', isolation: 'thread' },
  'infinite loop (3 missed heartbeats)': { fixture: 'crash-infinite-loop', reason: 'hang', isolation: 'thread', extra: { heartbeatMs: 100 } },
  'heap OOM (resourceLimits 32 MB)': { fixture: 'crash-heap-oom', reason: 'oom', isolation: 'thread', extra: { maxOldGenerationSizeMb: 32 } },
  'process mode: sync throw': { fixture: 'crash-sync-throw', reason: 'uncaught-exception', isolation: 'process' },
  'process mode: unhandled rejection': { fixture: 'crash-unhandled-rejection', reason: 'unhandled-rejection', isolation: 'process' },
  'process mode: process.exit(3)': { fixture: 'crash-process-exit', reason: 'exit', isolation: 'process' },
  'process mode: infinite loop': { fixture: 'crash-infinite-loop', reason: 'hang', isolation: 'process', extra: { heartbeatMs: 100 } },
  'process mode: native SIGSEGV': { fixture: 'crash-native-segv', reason: 'signal', isolation: 'process' },
};

for (const [title, mode] of Object.entries(modes)) {
  test(`${title}: victim restarts with backoff, canary unaffected`, async (t) => {
    if (mode.fixture === 'crash-native-segv') {
      assert.ok(existsSync(testAddonPath), `the test-only addon must be built (${testAddonPath}): npm run build`);
    }
    const { supervisor, events } = await startSupervisor(t, [
      tracer('canary', 'canary'),
      tracer('victim', mode.fixture, { isolation: mode.isolation, ...mode.extra }),
    ]);
    const started = Date.now();
    // Three crashes: delays 100, 200, 400 ms (jitter 0 in tests).
    await waitFor('three victim crashes', () => crashes(events, 'victim').length >= 3 && true, 20_000);
    // ...and the restart after the third (the first spawn + 3 restarts = 4 'starting').
    await waitFor('third restart', () => events.filter((e) => e.type === 'state' && e.tracer === 'victim' && e.state === 'starting').length >= 4, 5000);
    // Let the canary run at least 2.5 s in all, and past the last crash.
    await new Promise((r) => setTimeout(r, Math.max(300, 2500 - (Date.now() - started))));

    const victimCrashes = crashes(events, 'victim');
    assert.deepEqual(victimCrashes.slice(0, 3).map((c) => c.reason), [mode.reason, mode.reason, mode.reason]);
    assert.deepEqual(victimCrashes.slice(0, 3).map((c) => c.delayMs), [100, 200, 400]);
    // Each restart happened no sooner than its delay: crash i → next spawn ('starting').
    const starts = events.filter((e) => e.type === 'state' && e.tracer === 'victim' && e.state === 'starting');
    for (let i = 0; i < 3; i++) {
      const crash = victimCrashes[i]!;
      const restart = starts.find((s) => events.indexOf(s) > events.indexOf(crash));
      assert.ok(restart !== undefined && restart.type === 'state', `restart after crash ${i + 1}`);
      const waited = restart.at - crash.at;
      assert.ok(waited >= crash.delayMs - 5, `restart ${i + 1} came after ${waited} ms, before its ${crash.delayMs} ms delay`);
    }
    if (mode.reason === 'exit') assert.equal(supervisor.tracerStatus('victim').lastExit?.code, 3);
    if (mode.reason === 'signal') assert.equal(supervisor.tracerStatus('victim').lastExit?.signal, 'SIGSEGV');
    const victim = supervisor.tracerStatus('victim');
    assert.ok(victim.restartsByReason[mode.reason] >= 3);
    assert.equal(victim.lastExit?.reason, mode.reason);
    assert.ok(victim.lastError !== undefined);

    const canary = supervisor.tracerStatus('canary');
    assert.equal(canary.restarts, 0, 'canary was restarted');
    assert.equal(canary.state, 'running');
    const report = canaryReport(events);
    const expected = Math.floor((Date.now() - started) / 100) * 0.7;
    assert.ok(report.count >= expected, `canary saved ${report.count} events, expected ≥ ${expected}`);
    assert.equal(report.missing, 0, 'canary events went missing');
    assert.ok(report.maxGapMs <= 300, `canary gap ${report.maxGapMs} ms > 300 ms`);
    t.diagnostic(`canary: ${report.count} events, max gap ${report.maxGapMs} ms; victim: ${victimCrashes.map((c) => c.reason).join(',')}`);
  });
}
