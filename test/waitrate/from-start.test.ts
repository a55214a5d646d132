// waitrate and contention that exists from the start (issue #14 item 2): the victim and its
// competitor share one CPU before the tracer starts, so the spike rule has no quiet history
// to compare with (and warm-up is long). The absolute floor must still fire, within a few
// intervals. The competitor is then destroyed while the capture runs: the event must still
// name it as the container it was (resolved at capture time, not when the event is built).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitrateSettingsSchema, type WaitrateSettings } from '../../src/actors/tracers/waitrate/config.js';
import { WaitrateTracer } from '../../src/actors/tracers/waitrate/index.js';
import type { WaitrateEventData } from '../../src/actors/tracers/waitrate/event.js';
import type { ContainerSample } from '../../src/actors/tracers/waitrate/core.js';
import { onlineCpus, TEST_CGROUP_PARENT, waitFor } from '../support/host.js';
import { testContext, type TestContext } from '../support/tracer-context.js';
import { createContainer, destroyContainer, startHog, type TestContainer } from './workloads.js';

const cpus = onlineCpus();
const CPU = cpus[cpus.length - 1] ?? 0;
const VICTIM = 'wr-start-victim';
const COMPETITOR = 'wr-start-competitor';

describe('waitrate: contention from the start', () => {
  const made: TestContainer[] = [];
  const abort = new AbortController();
  let ctx: TestContext<WaitrateSettings> | undefined;
  let running: Promise<void> | undefined;
  after(async () => {
    abort.abort();
    await running?.catch(() => undefined);
    ctx?.closeAll();
    for (const c of made) await destroyContainer(c);
  });

  it('fires by the absolute floor during warm-up and names a competitor destroyed during the capture', async () => {
    const victim = createContainer(VICTIM);
    made.push(victim);
    const competitor = createContainer(COMPETITOR);
    made.push(competitor);
    startHog(victim, CPU);
    startHog(competitor, CPU);
    startHog(competitor, CPU);

    // Warm-up of 60 samples (30 s): the spike rule cannot fire in this test's time.
    const settings = waitrateSettingsSchema.parse({
      intervalSeconds: 0.5,
      captureSeconds: 3,
      warmupSamples: 60,
      containers: { plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [], filter: { included: [{ field: 'id', pattern: `^${VICTIM}$` }] } },
    });
    ctx = testContext<WaitrateSettings>('waitrate', settings, abort.signal, { cooldownSeconds: 600 });
    const tracer = new WaitrateTracer();
    const victimRates: number[] = [];
    let firedAt: number | undefined;
    let firedAtMs: number | undefined;
    tracer.onSample = (samples: ContainerSample[], fired: string[]) => {
      const v = samples.find((s) => s.container.id === VICTIM);
      if (v) victimRates.push(Math.round(v.rates.wait_rate));
      if (fired.includes(VICTIM)) {
        firedAt ??= victimRates.length;
        firedAtMs ??= Date.now();
      }
    };
    let failure: unknown;
    running = tracer.start(ctx).catch((err: unknown) => void (failure = err));

    await waitFor(() => failure ?? firedAt !== undefined, { timeoutMs: 12_000, what: 'the victim to fire' }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; victim wait rates ${victimRates.join(', ')}`);
    });
    assert.equal(failure, undefined, String(failure));
    assert.ok(firedAt! <= 8, `fired after ${firedAt} samples (floor: 3 over 30 %); rates ${victimRates.join(', ')}`);

    // The capture (3 s) is running: destroy the competitor 2 s into it; the loop's refreshes
    // (every 0.5 s) drop it before the capture ends and the event is built.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await destroyContainer(competitor);
    made.splice(made.indexOf(competitor), 1);
    await waitFor(() => failure ?? ctx!.saved.length >= 1, { timeoutMs: 15_000, what: 'the event' });
    assert.equal(failure, undefined, String(failure));
    const saved = ctx.saved[0]!;
    const data = saved.data as WaitrateEventData;
    // Item 5: tracer_time is the detection (the sample that fired), not the end of the capture.
    assert.ok(saved.time !== undefined && saved.capture !== undefined, `detection time and capture window given: ${JSON.stringify({ time: saved.time, capture: saved.capture })}`);
    assert.ok(saved.time <= firedAtMs! && firedAtMs! - saved.time < 3000, `time ${saved.time} is the firing sample (${firedAtMs})`);
    assert.ok(saved.capture.startedMs >= saved.time && saved.capture.endedMs - saved.capture.startedMs >= 2900, JSON.stringify(saved.capture));
    console.log(`from-start: rates ${victimRates.slice(0, firedAt).join(',')} → fired (${data.reason}); competitors ${JSON.stringify(data.competitors.slice(0, 3).map((c) => [c.kind, c.id, c.name, Math.round(c.share)]))}`);
    assert.equal(data.container_id, VICTIM);
    assert.equal(data.reason, 'floor');
    assert.equal(data.floor_percent, 30);
    assert.equal(data.floor_intervals, 3);
    assert.ok(data.wait_rate > 30, `wait_rate ${data.wait_rate}`);
    const named = data.competitors.find((c) => c.id === COMPETITOR || c.name === `cgroup ${competitor.cg.id}`);
    assert.ok(named !== undefined, `the competitor is listed: ${JSON.stringify(data.competitors.map((c) => [c.kind, c.id]))}`);
    assert.equal(named.kind, 'container', `named as a container though destroyed: ${JSON.stringify(named)}`);
    assert.equal(named.id, COMPETITOR);
    assert.equal(named.name, `/${TEST_CGROUP_PARENT}/${COMPETITOR}`);
    assert.ok(named.share > 0, `the competitor caused part of the wait (the shared host adds its own): ${named.share}`);
  });
});
