// The fixed-point load average against the kernel's reference values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXED_1, LoadAverage, calcLoad, decayFactor, loadToNumber } from '../../src/actors/tracers/dload/loadavg.js';

test('decay factors equal the kernel constants for its 5 s sample (EXP_1, EXP_5, EXP_15)', () => {
  assert.equal(FIXED_1, 2048);
  assert.equal(decayFactor(5, 60), 1884);
  assert.equal(decayFactor(5, 300), 2014);
  assert.equal(decayFactor(5, 900), 2037);
});

test('a 10 s sample gets its own factor: 2048/e^(10/60) = 1733.6 -> 1734, not 1884', () => {
  assert.equal(decayFactor(10, 60), 1734);
  // Two 5 s steps equal one 10 s step within fixed-point rounding: 1884^2/2048 = 1733.1.
  assert.ok(Math.abs((1884 * 1884) / 2048 - decayFactor(10, 60)) < 1);
});

for (const interval of [5, 10, 1, 0.5]) {
  test(`decay over one minute at a ${interval} s interval is e^(-t/60) within rounding`, () => {
    const n = 100; // a large count keeps the truncation error small relative to the value
    const avg = new LoadAverage(interval);
    for (let i = 0; i < 10_000; i++) avg.update(n); // converge to n
    assert.equal(avg.raw, n * FIXED_1);
    const steps = Math.round(60 / interval);
    for (let i = 1; i <= steps; i++) {
      avg.update(0);
      const t = i * interval;
      const expected = n * FIXED_1 * Math.exp(-t / 60);
      // Error budget: rounding of the factor (≤ 0.5/2048 per step, relative) and one unit of truncation per step.
      const budget = expected * i * (0.5 / decayFactor(interval, 60)) + i;
      assert.ok(Math.abs(avg.raw - expected) <= budget, `t=${t}s raw=${avg.raw} expected≈${expected.toFixed(1)} budget ${budget.toFixed(1)}`);
    }
    // After one minute the "1-minute" average is at 1/e of where it started (the reference's 10 s + EXP_1 leaves ~0.59).
    assert.ok(Math.abs(avg.raw / (n * FIXED_1) - Math.exp(-1)) < 0.01, `ratio ${avg.raw / (n * FIXED_1)}`);
  });
}

test('rise towards a constant count follows 1 - e^(-t/60) and reaches it (rounding up while rising)', () => {
  const avg = new LoadAverage(10);
  for (let i = 1; i <= 6; i++) avg.update(8);
  assert.ok(Math.abs(avg.raw / FIXED_1 - 8 * (1 - Math.exp(-1))) < 0.02, `after 60 s: ${avg.raw / FIXED_1}`);
  for (let i = 0; i < 500; i++) avg.update(8);
  assert.equal(avg.raw, 8 * FIXED_1);
});

test('HUATUO check value: one runnable task, first 5 s update -> raw 164, display 0.08', () => {
  // calc_load(0, EXP_1, 2048): 2048*164 / 2048 with the round-up-while-rising = 164.
  assert.equal(calcLoad(0, 1884, FIXED_1), 164);
  assert.equal(loadToNumber(164), 0.08);
  assert.equal(calcLoad(0, 2014, FIXED_1), 34);
  assert.equal(loadToNumber(34), 0.02);
});

test('the reference bug, quantified: EXP_1 at a 10 s sample leaves e^(-1) only after ~2 minutes', () => {
  let load = 100 * FIXED_1;
  let samples = 0;
  while (load > 100 * FIXED_1 * Math.exp(-1)) {
    load = calcLoad(load, 1884, 0);
    samples++;
  }
  assert.equal(samples * 10, 120);
});
