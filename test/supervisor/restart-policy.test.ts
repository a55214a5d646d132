// The restart policy with its real defaults, on an injected clock and random source:
// 1 s doubling to 30 s ±20 %, 3 crashes in 300 s, disabled 10 s doubling to 5 min,
// reset after 10 min healthy. No real waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartPolicy, defaultRestartPolicy } from '../../src/supervisor/restart-policy.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('defaults are the specified ones', () => {
  assert.deepEqual({ ...defaultRestartPolicy }, {
    initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.2, budgetCount: 3, budgetWindowMs: 300_000,
    disabledInitialMs: 10_000, disabledMaxMs: 300_000, healthyResetMs: 600_000,
  });
});

test('restart delay: 1 s doubling, capped at 30 s (random 0.5 = no jitter)', () => {
  const c = clock();
  // A huge budget window is not what we test here: space crashes out beyond 300 s.
  const policy = new RestartPolicy(defaultRestartPolicy, c.now, () => 0.5);
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    policy.started();
    c.advance(301_000 / 3); // 3 crashes per 301 s keeps it within budget
    const d = policy.onCrash();
    assert.equal(d.action, 'restart');
    delays.push(d.delayMs);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});

test('jitter is ±20 %', () => {
  const low = new RestartPolicy(defaultRestartPolicy, clock().now, () => 0).onCrash();
  const high = new RestartPolicy(defaultRestartPolicy, clock().now, () => 0.999_999).onCrash();
  assert.equal(low.delayMs, 800);
  assert.equal(high.delayMs, 1200);
  let seen = 0;
  for (let i = 0; i < 200; i++) {
    const d = new RestartPolicy(defaultRestartPolicy).onCrash().delayMs;
    assert.ok(d >= 800 && d <= 1200, `${d}`);
    seen++;
  }
  assert.equal(seen, 200);
});

test('budget: the 4th crash within 300 s disables; disabled backoff 10 s doubling to 5 min', () => {
  const c = clock();
  const policy = new RestartPolicy(defaultRestartPolicy, c.now, () => 0.5);
  const actions = [];
  for (let i = 0; i < 3; i++) {
    policy.started();
    c.advance(1000);
    actions.push(policy.onCrash().action);
  }
  assert.deepEqual(actions, ['restart', 'restart', 'restart']);
  const disabled: number[] = [];
  for (let i = 0; i < 7; i++) {
    policy.started();
    c.advance(1000);
    const d = policy.onCrash();
    assert.equal(d.action, 'disable');
    disabled.push(d.delayMs);
  }
  assert.deepEqual(disabled, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
});

test('crashes older than the 300 s window no longer count', () => {
  const c = clock();
  const policy = new RestartPolicy(defaultRestartPolicy, c.now, () => 0.5);
  for (let i = 0; i < 3; i++) policy.onCrash();
  c.advance(300_001);
  assert.equal(policy.crashesInWindow(), 0);
  assert.equal(policy.onCrash().action, 'restart');
});

test('10 min healthy resets the backoff and the budget', () => {
  const c = clock();
  const policy = new RestartPolicy(defaultRestartPolicy, c.now, () => 0.5);
  const run = (n: number) => Array.from({ length: n }, () => {
    const d = policy.onCrash();
    return `${d.action}:${d.delayMs}`;
  });
  assert.deepEqual(run(5), ['restart:1000', 'restart:2000', 'restart:4000', 'disable:10000', 'disable:20000']);
  // Re-enabled, runs 5 min: the budget window expired, but it was not healthy for 10 min,
  // so the disabled backoff keeps growing.
  policy.started();
  c.advance(300_001);
  assert.deepEqual(run(4), ['restart:1000', 'restart:2000', 'restart:4000', 'disable:40000']);
  // Re-enabled and healthy for 10 min: everything resets.
  policy.started();
  c.advance(600_000);
  assert.deepEqual(run(4), ['restart:1000', 'restart:2000', 'restart:4000', 'disable:10000']);
});
