// Issue 14 item 8: a capture's memory is given back. The pool worker (its isolate, the
// kallsyms and ELF caches) exits after its idle timeout, and then the process trims
// malloc, so RSS falls back instead of staying at the capture's peak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureProfile, capturePoolTrims, closeCapturePool, configureCapturePool } from '../../src/capture/index.js';

test('after a capture and the pool idle timeout, the worker is gone and malloc is trimmed', async (t) => {
  t.after(() => closeCapturePool());
  await configureCapturePool({ idleTimeout: 500 });
  const trims0 = capturePoolTrims();
  let peak = 0;
  for (let i = 0; i < 3; i++) {
    await captureProfile({ durationMs: 500, topFunctions: 0 });
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  await sleep(2500); // idle timeout 0.5 s + 1 s, then the trim
  globalThis.gc?.();
  assert.ok(capturePoolTrims() > trims0, 'malloc trimmed once the pool went idle');
  const after = process.memoryUsage.rss();
  const mb = (n: number): string => (n / 1048576).toFixed(0);
  console.log(`# RSS peak ${mb(peak)} MB, after idle + trim ${mb(after)} MB`);
  // The worker's isolate and caches were tens of MB here (73 MB measured for 20 captures).
  assert.ok(after < peak - 20 * 1048576, `RSS ${mb(after)} MB after, peak ${mb(peak)} MB: less than 20 MB given back`);
});
