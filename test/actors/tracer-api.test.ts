// Registration is strict where HUATUO is lax: a duplicate name, a missing flag or a
// non-positive interval is rejected with a clear, coded error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flag, clearRegistryForTests, getRegistration, registerTracer, validateAttr } from '../../src/actors/tracer-api.js';
import { parseStatCpuSeconds } from '../../src/common/cpu-time.js';

const tracer = { start: async () => undefined };

test('a duplicate name is rejected', (t) => {
  t.after(clearRegistryForTests);
  registerTracer('dup', () => ({ tracer, interval: 10, flags: Flag.Tracing }));
  assert.throws(() => registerTracer('dup', () => ({ tracer, interval: 10, flags: Flag.Tracing })), { code: 'TRACER_DUPLICATE', message: /already registered/ });
  assert.ok(getRegistration('dup'));
});

test('a bad name is rejected', () => {
  assert.throws(() => registerTracer('Bad Name', () => ({ tracer, interval: 10, flags: Flag.Tracing })), { code: 'TRACER_BAD_NAME' });
});

test('a missing flag is rejected', () => {
  assert.throws(() => validateAttr('x', { tracer, interval: 10, flags: 0 }), { code: 'TRACER_NO_FLAG', message: /Flag.Tracing/ });
  assert.throws(() => validateAttr('x', { tracer, interval: 10, flags: Flag.Metric }), { code: 'TRACER_NO_FLAG', message: /update\(\)/ });
});

test('an interval <= 0 is rejected', () => {
  for (const interval of [0, -1, Number.NaN]) {
    assert.throws(() => validateAttr('x', { tracer, interval, flags: Flag.Tracing }), { code: 'TRACER_BAD_INTERVAL' });
  }
  assert.doesNotThrow(() => validateAttr('x', { tracer, interval: 0.5, flags: Flag.Tracing }));
});

test('CPU seconds parse from a /proc stat line whose command has spaces and parentheses', () => {
  const line = '1234 (node (worker) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
  assert.equal(parseStatCpuSeconds(line), 3);
});
