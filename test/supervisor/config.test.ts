// The agent config: embedded defaults from `{}`, strict keys, ranges in messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig, tracerSpecsFrom } from '../../src/config/load.js';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';

test('the embedded default is valid and runs exactly the tracers the catalog enables by default', () => {
  const config = parseAgentConfig({});
  assert.equal(config.tracers.example?.enabled, false);
  const onByDefault = Object.entries(builtinTracers).filter(([, e]) => e.enabledByDefault).map(([name]) => name);
  assert.deepEqual(tracerSpecsFrom(config).map((s) => s.name), onByDefault);
  assert.deepEqual(onByDefault.sort(), ['cpuidle', 'cpusys', 'dload', 'hungtask', 'iotracing', 'memburst', 'oom', 'reclaim']);
  assert.equal(config.supervisor.storage.restart.initialDelayMs, 1000);
});

test('a default-on tracer can be switched off, an opt-in one on', () => {
  const config = parseAgentConfig({ tracers: { cpusys: { enabled: false }, waitrate: { enabled: true } } });
  const names = tracerSpecsFrom(config).map((s) => s.name);
  assert.ok(!names.includes('cpusys'));
  assert.ok(names.includes('waitrate'));
});

test('an enabled tracer becomes a spec with its validated settings and restart policy', () => {
  const config = parseAgentConfig({ tracers: { example: { enabled: true, isolation: 'process', settings: { loadThreshold: 2 }, restart: { budgetCount: 5 } } } });
  const spec = tracerSpecsFrom(config).find((s) => s.name === 'example');
  assert.equal(spec?.isolation, 'process');
  assert.deepEqual(spec?.settings, { loadThreshold: 2, sampleMs: 1000 });
  assert.equal(spec?.restart.budgetCount, 5);
  assert.equal(spec?.restart.maxDelayMs, 30_000);
});

test('an unknown key fails with its path', () => {
  assert.throws(() => parseAgentConfig({ tracers: { example: { restart: { intialDelayMs: 5 } } } }), (err: Error & { code?: string; problems?: string[] }) => {
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.deepEqual(err.problems, ['tracers.example.restart.intialDelayMs: unknown key']);
    return true;
  });
  assert.throws(() => parseAgentConfig({ tracers: { nosuchtracer: {} } }), /tracers\.nosuchtracer: unknown key/);
  assert.throws(() => parseAgentConfig({ bogus: 1 }), /bogus: unknown key/);
});

test('a bad value fails with its path and the expected range', () => {
  assert.throws(() => parseAgentConfig({ tracers: { example: { restart: { jitter: 3 } } } }), /tracers\.example\.restart\.jitter: .*<=1/);
  assert.throws(() => parseAgentConfig({ tracers: { example: { isolation: 'vm' } } }), /tracers\.example\.isolation: .*"thread"\|"process"/);
  assert.throws(() => parseAgentConfig({ tracers: { example: { settings: { sampleMs: 1 } } } }), /tracers\.example\.settings\.sampleMs: .*>=10/);
  assert.throws(() => parseAgentConfig({ storage: { fsync: 'never' } }), /storage\.fsync/);
});
