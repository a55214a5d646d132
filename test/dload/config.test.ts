// The settings schemas: the issue's defaults, and bad values refused at config-load time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dloadSettingsSchema } from '../../src/actors/tracers/dload/config.js';
import { memburstSettingsSchema } from '../../src/actors/tracers/memburst/config.js';

test('dload defaults: threshold 5, 10 s interval, no known issues, host stacks on', () => {
  const s = dloadSettingsSchema.parse({});
  assert.equal(s.threshold, 5);
  assert.equal(s.intervalSeconds, 10);
  assert.equal('cooldownSeconds' in s, false, 'the one cooldown knob is tracers.dload.cooldownSeconds (1800 s by default)');
  assert.deepEqual(s.knownIssues, []);
  assert.equal(s.captureHost, true);
  assert.equal(s.procRoot, '/proc');
  assert.deepEqual(s.containers.scanRoots, ['/']);
});

test('dload refuses a bad regex, an unknown key and a zero threshold', () => {
  assert.equal(dloadSettingsSchema.safeParse({ knownIssues: [{ name: 'x', pattern: '(' }] }).success, false);
  assert.equal(dloadSettingsSchema.safeParse({ iowaitFrames: '[' }).success, false);
  assert.equal(dloadSettingsSchema.safeParse({ thresholdLoad: 5 }).success, false);
  assert.equal(dloadSettingsSchema.safeParse({ threshold: 0 }).success, false);
});

test('memburst defaults: 100 % burst, 70 % anon, 60 x 10 s window, top 10', () => {
  const s = memburstSettingsSchema.parse({});
  assert.deepEqual(
    { burst: s.burstPercent, anon: s.anonPercent, window: s.windowSamples, interval: s.intervalSeconds, top: s.topN, proc: s.procRoot },
    { burst: 100, anon: 70, window: 60, interval: 10, top: 10, proc: '/proc' },
  );
  assert.equal(memburstSettingsSchema.safeParse({ anonPercent: 101 }).success, false);
  assert.equal(memburstSettingsSchema.safeParse({ windowSamples: 1 }).success, false);
});
