// Settings of a catalog tracer are validated by the supervisor in the main thread, so the
// actor gets them parsed with defaults and its worker need not load zod (supervisor/settings.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import { validateTracerSettings } from '../../src/supervisor/settings.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { startSupervisor, waitFor } from './harness.js';

const example = builtinTracers.example!.modulePath;

test('catalog settings get their defaults in the main thread; other modules pass through untouched', () => {
  assert.deepEqual(validateTracerSettings('example', example, {}), { loadThreshold: 4, sampleMs: 1000 });
  assert.deepEqual(validateTracerSettings('example', example, undefined), { loadThreshold: 4, sampleMs: 1000 });
  const raw = { anything: ['goes'] };
  assert.equal(validateTracerSettings('mine', '/opt/tracers/mine.js', raw), raw);
  assert.throws(
    () => validateTracerSettings('example', example, { loadThreshold: -1, bogus: true }),
    (err: Error & { code?: string }) => err.code === 'TRACER_BAD_CONFIG' && /tracer "example"/.test(err.message) && /loadThreshold/.test(err.message) && /bogus/.test(err.message),
  );
});

test('a catalog tracer with bad settings is unavailable without starting an actor; a bad reconfigure is refused', async (t) => {
  const { supervisor, events } = await startSupervisor(t, [
    tracerSpec({ name: 'example', modulePath: example, settings: { sampleMs: 5 } }),
  ]);
  const status = supervisor.tracerStatus('example');
  assert.equal(status.state, 'unavailable');
  assert.equal(status.lastError?.code, 'TRACER_BAD_CONFIG');
  assert.match(status.stateReason ?? '', /sampleMs/);
  assert.equal(status.pid, undefined, 'no actor was spawned');
  assert.equal(events.filter((e) => e.type === 'heartbeat').length, 0);
});

test('reconfiguring a running catalog tracer validates in the main thread', async (t) => {
  const { supervisor } = await startSupervisor(t, [tracerSpec({ name: 'example', modulePath: example, settings: { loadThreshold: 1000 } })]);
  await waitFor('example running', () => supervisor.tracerStatus('example').state === 'running');
  await assert.rejects(supervisor.configure('example', { sampleMs: 'often' }), (err: Error & { code?: string }) => err.code === 'TRACER_BAD_CONFIG' && /sampleMs/.test(err.message));
  await supervisor.configure('example', { loadThreshold: 2000 });
  assert.equal(supervisor.tracerStatus('example').state, 'running');
});

test('settings validated at config load are not validated again by the supervisor or the actor', async (t) => {
  // `bogus` would be refused by the example's schema (strict), both in the main thread and in
  // its actor (it registers a settingsSchema): the tracer runs only if neither parses again.
  const settings = { loadThreshold: 1000, sampleMs: 1000, bogus: true };
  const { supervisor } = await startSupervisor(t, [tracerSpec({ name: 'example', modulePath: example, settings, settingsValidated: true })]);
  await waitFor('example running', () => supervisor.tracerStatus('example').state === 'running');
  assert.equal(supervisor.tracerStatus('example').lastError, undefined);
});

test('a settings key that moved out of settings is refused with where it went, not as unknown', () => {
  const cpusys = builtinTracers.cpusys!.modulePath;
  assert.throws(
    () => validateTracerSettings('cpusys', cpusys, { cooldownSeconds: 30 }),
    (err: Error & { code?: string }) => err.code === 'TRACER_BAD_CONFIG' && /settings\.cooldownSeconds moved to tracers\.cpusys\.cooldownSeconds/.test(err.message) && /config file/.test(err.message),
  );
  // example never had the key: it stays an unknown key there.
  assert.throws(
    () => validateTracerSettings('example', example, { cooldownSeconds: 30 }),
    (err: Error & { code?: string }) => err.code === 'TRACER_BAD_CONFIG' && /cooldownSeconds/.test(err.message) && !/moved to/.test(err.message),
  );
});
