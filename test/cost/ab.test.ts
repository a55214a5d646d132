// The A/B summary of `autotracer cost --ab`: slowdown from the medians of the rounds, noise
// floor from the scatter of the "off" rounds, and the interleaving leaves the tracer running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abSummary, runAb } from '../../src/cost/ab.js';

test('slowdown = 1 − median(on) / median(off); noise floor = median |off − median(off)| / median(off)', () => {
  const r = abSummary('waitrate', [95, 96, 94], [100, 102, 98]);
  assert.equal(r.offOpsPerSecond, 100);
  assert.equal(r.onOpsPerSecond, 95);
  assert.ok(Math.abs(r.slowdownPercent - 5) < 1e-9);
  assert.ok(Math.abs(r.noiseFloorPercent - 2) < 1e-9);
  assert.equal(r.rounds, 3);
});

test('rounds alternate the order, each side is the best of its runs, and the tracer is started again at the end', async () => {
  const log: string[] = [];
  let running = true;
  let n = 0;
  const r = await runAb('waitrate', 3, 2, {
    stop: async () => void (log.push('stop'), (running = false)),
    start: async () => void (log.push('start'), (running = true)),
    run: async () => {
      log.push(running ? 'on' : 'off');
      return running ? 90 + (n++ % 2) : 100;
    },
  });
  assert.deepEqual(log, ['on', 'on', 'stop', 'off', 'off', 'off', 'off', 'start', 'on', 'on', 'on', 'on', 'stop', 'off', 'off', 'start']);
  assert.equal(running, true);
  assert.equal(r.onOpsPerSecond, 91);
  assert.equal(r.offOpsPerSecond, 100);
});

test('a failing run still leaves the tracer running', async () => {
  let running = true;
  await assert.rejects(
    runAb('waitrate', 2, 1, {
      stop: async () => void (running = false),
      start: async () => void (running = true),
      run: async () => {
        if (!running) throw new Error('workload failed');
        return 1;
      },
    }),
    /workload failed/,
  );
  assert.equal(running, true);
});
