// Issue 15 (settings): `tracers.<t>.cooldownSeconds` is the one cooldown knob. An old file
// with `tracers.<t>.settings.cooldownSeconds` keeps its meaning: accepted, its value used,
// with one warning line naming the new key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig, tracerSpecsFrom } from '../../src/config/load.js';

type Entry = { cooldownSeconds: number; settings: Record<string, unknown> };

test('settings.cooldownSeconds is lifted to tracers.<t>.cooldownSeconds with one deprecation line per key', () => {
  const warnings: string[] = [];
  const raw = {
    tracers: {
      cpusys: { settings: { cooldownSeconds: 120, sysThreshold: 50 } },
      hungtask: { cooldownSeconds: 900, settings: { cooldownSeconds: 30 } },
      memburst: { cooldownSeconds: 77 },
    },
  };
  const config = parseAgentConfig(raw, { warn: (m) => warnings.push(m) });
  const tracers = config.tracers as Record<string, Entry>;
  assert.equal(tracers.cpusys!.cooldownSeconds, 120);
  assert.equal(tracers.cpusys!.settings.sysThreshold, 50);
  assert.equal('cooldownSeconds' in tracers.cpusys!.settings, false);
  // Both set: the settings value was the tracer's override, so it still wins.
  assert.equal(tracers.hungtask!.cooldownSeconds, 30);
  assert.equal(tracers.memburst!.cooldownSeconds, 77, 'the new key alone: no warning, used as is');
  assert.equal(warnings.length, 2, warnings.join('\n'));
  for (const w of warnings) assert.doesNotMatch(w, /\n/, 'one line');
  assert.match(warnings[0]!, /tracers\.cpusys\.settings\.cooldownSeconds is deprecated, use tracers\.cpusys\.cooldownSeconds \(its value 120 is used\)/);
  assert.match(warnings[1]!, /use tracers\.hungtask\.cooldownSeconds/);
  assert.deepEqual(raw.tracers.cpusys.settings, { cooldownSeconds: 120, sysThreshold: 50 }, 'the caller\'s object is not modified');
  const specs = tracerSpecsFrom(config);
  assert.equal(specs.find((s) => s.name === 'cpusys')?.cooldownSeconds, 120, 'the actor gets the lifted value');
});

test('a tracer that never had settings.cooldownSeconds still refuses it; a bad lifted value is refused', () => {
  const silent = { warn: () => undefined };
  assert.throws(() => parseAgentConfig({ tracers: { oom: { settings: { cooldownSeconds: 5 } } } }, silent), /tracers\.oom\.settings\.cooldownSeconds: unknown key/);
  assert.throws(() => parseAgentConfig({ tracers: { dload: { settings: { cooldownSeconds: 'soon' } } } }, silent), /tracers\.dload\.cooldownSeconds/);
  const warnings: string[] = [];
  parseAgentConfig({}, { warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, []);
});
