// Issue 14 item 6 end to end: the supervisor runs the one look-back sampler; a tracer actor
// asks for `before` by message and gets the stacks of a burst that ended before it asked,
// symbolized in its own pool; with the sampler off, the event says why there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BeforeFields } from '../../src/actors/tracers/shared/lookback-before.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { onlineCpus, spawnWorkload, type Workload } from '../support/host.js';
import { memoryStorage, savedEvents, tempDir, tracer, waitFor } from '../supervisor/harness.js';
import { buildSpinBinary, SPIN_FUNCTION } from './spin-binary.js';

async function runAsker(t: import('node:test').TestContext, lookback: { enabled: boolean; frequency: number; seconds: number }, before: () => Promise<void>): Promise<{ fields: BeforeFields; supervisor: Supervisor }> {
  const dir = tempDir(t);
  const supervisor = new Supervisor({
    storage: memoryStorage(dir),
    tracers: [tracer('lookback-asker', 'lookback-asker', { settings: { askAfterMs: 4000 } })],
    lookback,
  });
  const events: TracerEvent[] = [];
  supervisor.on('tracer', (e) => events.push(e));
  t.after(() => supervisor.stop());
  await supervisor.start();
  await before();
  await waitFor('the asker event', () => savedEvents(events, 'lookback-asker').length === 1, 30_000);
  return { fields: savedEvents(events, 'lookback-asker')[0]!.data as BeforeFields, supervisor };
}

test('a tracer actor gets the burst that ended before it asked, symbolized', async (t) => {
  const spin = buildSpinBinary();
  const workloads: Workload[] = [];
  t.after(async () => {
    for (const w of workloads) await w.kill();
    spin.remove();
  });
  const { fields, supervisor } = await runAsker(t, { enabled: true, frequency: 49, seconds: 30 }, async () => {
    for (const cpu of onlineCpus()) workloads.push(spawnWorkload('taskset', ['-c', String(cpu), spin.path]));
    await sleep(2000);
    // The burst stops well before the actor asks (at 4 s): only a look-back can see it.
    for (const w of workloads) process.kill(w.pid, 'SIGSTOP');
  });
  assert.equal(fields.before_error, undefined, JSON.stringify(fields.before_error));
  const before = fields.before!;
  assert.equal(before.frequency, 49);
  assert.ok(before.samples > 0 && before.flamedata[0]?.label === 'all');
  assert.ok(before.folded.split('\n').some((l) => l.startsWith('at-spin;') && l.includes(SPIN_FUNCTION)), `at-spin in before: ${before.folded.split('\n').filter((l) => l.startsWith('at-spin')).slice(0, 3).join(' | ')}`);
  const status = supervisor.lookbackStatus();
  assert.equal(status.state, 'running');
  for (const w of workloads) process.kill(w.pid, 'SIGCONT');
});

test('with the sampler disabled the event says why it has no before', async (t) => {
  const { fields } = await runAsker(t, { enabled: false, frequency: 19, seconds: 30 }, async () => undefined);
  assert.equal(fields.before, undefined);
  assert.match(fields.before_error?.message ?? '', /disabled/);
});

test('cpusys attaches before (look-back) next to after (its capture) on a manual trigger', async (t) => {
  const { LookbackHost } = await import('../../src/supervisor/lookback-host.js');
  const { CpuSysTracer } = await import('../../src/actors/tracers/cpusys/index.js');
  const { cpuSysSettingsSchema } = await import('../../src/actors/tracers/cpusys/config.js');
  const { testContext } = await import('../support/tracer-context.js');
  const { closeCapturePool } = await import('../../src/capture/index.js');
  const host = new LookbackHost({ enabled: true, frequency: 49, seconds: 30 });
  assert.equal(await host.start(), undefined);
  const abort = new AbortController();
  const base = testContext('cpusys', cpuSysSettingsSchema.parse({ captureSeconds: 1 }), abort.signal);
  t.after(async () => {
    abort.abort();
    host.stop();
    base.closeAll();
    await closeCapturePool();
  });
  // Copy the descriptors, not the values: a spread would read the lazy ctx.containers getter,
  // which throws for cpusys (it has no containers block), as the runtime's does.
  const ctx = Object.defineProperties({}, {
    ...Object.getOwnPropertyDescriptors(base),
    lookback: { value: async ({ fromMs, toMs, cgroupId }: { fromMs: number; toMs: number; cgroupId?: string }) => host.answer(fromMs, toMs, cgroupId) },
  }) as typeof base & { lookback: (q: { fromMs: number; toMs: number; cgroupId?: string }) => ReturnType<typeof host.answer> };
  await sleep(2000);
  await new CpuSysTracer().trigger({ reason: 'test' }, ctx);
  const data = base.saved[0]!.data as { flamedata: unknown[]; before?: { samples: number; frequency: number; flamedata: Array<{ label: string }> }; before_error?: unknown };
  assert.equal(data.before_error, undefined, JSON.stringify(data.before_error));
  assert.ok(data.flamedata.length > 1, 'the after profile');
  assert.equal(data.before?.frequency, 49);
  assert.ok((data.before?.samples ?? 0) > 0 && data.before?.flamedata[0]?.label === 'all', 'the before profile');
});
