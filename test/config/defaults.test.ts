// Issue 15 (settings): one source of defaults. A configuration with nothing set yields exactly
// the defaults docs/config.md documents, for the restart policy and the actor spec, whether
// the spec comes from config load or is built by hand (tracerSpec), and each tracer's one
// cooldown knob has its documented default (hungtask and iotracing 600 s, the rest 1800 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import { parseAgentConfig, tracerSpecsFrom } from '../../src/config/load.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { repoRoot } from '../../src/paths.js';

const doc = readFileSync(join(repoRoot, 'docs/config.md'), 'utf8');

/** The default cell of the row of `key` in docs/config.md, as a JSON value (`thread` stays a string). */
function documented(key: string): unknown {
  const row = doc.split('\n').find((line) => line.startsWith('| `' + key + '` |'));
  assert.ok(row !== undefined, `docs/config.md has no row for ${key}`);
  const cell = /^\| `[^`]+` \| `([^`]+)`/.exec(row)?.[1];
  assert.ok(cell !== undefined, `the row of ${key} has no plain default`);
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}

const restartKeys = ['initialDelayMs', 'maxDelayMs', 'factor', 'jitter', 'budgetCount', 'budgetWindowMs', 'disabledInitialMs', 'disabledMaxMs', 'healthyResetMs'];
const specKeys = ['isolation', 'heartbeatMs', 'missedHeartbeats', 'shutdownMs', 'killAfterMs', 'startTimeoutMs', 'metricsIntervalMs', 'bpfStats'];
const documentedRestart = (prefix: string) => Object.fromEntries(restartKeys.map((k) => [k, documented(`${prefix}.restart.${k}`)]));
const documentedSpec = Object.fromEntries(specKeys.map((k) => [k, documented(`tracers.<name>.${k}`)]));

test('an empty configuration yields the documented restart policy and actor spec, from config load and by hand alike', () => {
  const config = parseAgentConfig({});
  assert.deepEqual(config.supervisor.storage.restart, documentedRestart('supervisor.storage'));
  const specs = tracerSpecsFrom(config);
  assert.ok(specs.length >= 8, `${specs.length} enabled tracers`);
  for (const spec of specs) {
    const byHand = tracerSpec({ name: spec.name, modulePath: spec.modulePath });
    for (const [label, s] of [['config', spec], ['tracerSpec()', byHand]] as const) {
      assert.deepEqual(s.restart, documentedRestart('tracers.<name>'), `${label} ${spec.name}: restart`);
      assert.deepEqual(Object.fromEntries(specKeys.map((k) => [k, s[k as keyof typeof s]])), documentedSpec, `${label} ${spec.name}: spec`);
    }
  }
});

test('each tracer has one cooldown knob with its documented default: 600 s for hungtask and iotracing, 1800 s otherwise', () => {
  const row = doc.split('\n').find((line) => line.startsWith('| `tracers.<name>.cooldownSeconds` |')) ?? '';
  assert.match(row, /`1800`; `600` for `hungtask` and `iotracing`/);
  const config = parseAgentConfig({});
  for (const name of Object.keys(builtinTracers)) {
    const entry = (config.tracers as Record<string, { cooldownSeconds: number; settings: object }>)[name]!;
    assert.equal(entry.cooldownSeconds, name === 'hungtask' || name === 'iotracing' ? 600 : 1800, name);
    assert.equal('cooldownSeconds' in entry.settings, false, `${name}: no second cooldown in its settings`);
  }
  assert.equal(tracerSpecsFrom(config).find((s) => s.name === 'hungtask')?.cooldownSeconds, 600);
});
