// End to end through the waitrate tracer's own loop (start() with a hand-made context: the
// supervisor wiring is tested elsewhere), interval lowered by config: a contention onset in a
// test container after warm-up produces exactly one event naming the competitor, and the
// metrics carry the container's labels.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '../../src/native/index.js';
import type { CooldownState, SaveInput, TracerContext } from '../../src/actors/tracer-api.js';
import { ContainerViewCache } from '../../src/actors/container-view.js';
import { waitrateSettingsSchema, type WaitrateSettings } from '../../src/actors/tracers/waitrate/config.js';
import { WaitrateTracer, WAITRATE_METRICS } from '../../src/actors/tracers/waitrate/index.js';
import type { WaitrateEventData } from '../../src/actors/tracers/waitrate/event.js';
import type { ContainerSample } from '../../src/actors/tracers/waitrate/core.js';
import { onlineCpus, TEST_CGROUP_PARENT, waitFor } from '../support/host.js';
import { createContainer, destroyContainer, startHog, type TestContainer } from './workloads.js';

const cpus = onlineCpus();
const CPU = cpus[cpus.length - 1] ?? 0;

function context(settings: WaitrateSettings, signal: AbortSignal, saved: SaveInput[], objects: BpfObject[]): TracerContext<WaitrateSettings> {
  const containerViews = new ContainerViewCache('waitrate');
  const until = new Map<string, number>();
  const state = (key: string): CooldownState => ({ ready: (until.get(key) ?? 0) <= Date.now(), until: until.get(key) ?? 0 });
  const arm = (key: string, seconds: number): CooldownState => {
    until.set(key, Date.now() + seconds * 1000);
    return state(key);
  };
  return {
    name: 'waitrate',
    signal,
    config: settings,
    cooldownSeconds: 600,
    procRoot: '/proc',
    sysRoot: '/sys',
    loadBpf: async (name, options) => {
      const o = BpfObject.openBuilt(name, options);
      objects.push(o);
      return o;
    },
    save: async (input) => {
      saved.push(input);
      return `event-${saved.length}`;
    },
    cooldown: {
      check: async (key = '') => state(key),
      arm: async (key = '', seconds = 600) => arm(key, seconds),
      tryArm: async (key = '', seconds = 600) => {
        if (!state(key).ready) return false;
        arm(key, seconds);
        return true;
      },
    },
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (msg, f) => console.error(msg, f) },
    get containers() {
      return containerViews.view(settings);
    },
  };
}

describe('waitrate tracer loop', () => {
  const made: TestContainer[] = [];
  const objects: BpfObject[] = [];
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  after(async () => {
    abort.abort();
    await running?.catch(() => undefined);
    for (const o of objects) o.close();
    for (const c of made) await destroyContainer(c);
  });

  it('fires once on a contention onset and exports labelled metrics', async () => {
    const victim = createContainer('wr-e2e-victim');
    made.push(victim);
    const competitor = createContainer('wr-e2e-competitor');
    made.push(competitor);
    startHog(victim, CPU);

    const settings = waitrateSettingsSchema.parse({
      intervalSeconds: 0.5,
      captureSeconds: 1.5,
      warmupSamples: 4,
      // The spike rule alone (floor off): this test is about an onset over a quiet history,
      // and on a loaded host the victim's pre-onset wait can already pass the 30 % floor.
      thresholds: { default: { k: 1, minThreshold: 40, floorPercent: 100 } },
      containers: { plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [] },
    });
    const saved: SaveInput[] = [];
    const tracer = new WaitrateTracer();
    const victimRates: number[] = [];
    let fired: string[] = [];
    tracer.onSample = (samples: ContainerSample[], f: string[]) => {
      const v = samples.find((s) => s.container.id === 'wr-e2e-victim');
      if (v) victimRates.push(Math.round(v.rates.wait_rate));
      fired = fired.concat(f);
    };
    running = tracer.start(context(settings, abort.signal, saved, objects));

    await waitFor(() => victimRates.length >= 6, { timeoutMs: 15_000, what: 'the victim detector to warm up' });
    assert.deepEqual(fired, [], `no event before the onset (victim wait rates ${victimRates.join(', ')})`);
    const metrics = tracer.update();
    const wait = metrics.find((m) => m.name === WAITRATE_METRICS.wait && m.labels?.container_id === 'wr-e2e-victim');
    assert.ok(wait, 'wait_rate metric of the victim');
    assert.deepEqual(wait.labels, { container_id: 'wr-e2e-victim', container_name: `/${TEST_CGROUP_PARENT}/wr-e2e-victim`, container_qos: '' });
    assert.ok(metrics.some((m) => m.name === WAITRATE_METRICS.external), 'external_wait_rate metric');
    const approx = metrics.filter((m) => m.name === WAITRATE_METRICS.approximations);
    assert.deepEqual(approx.map((m) => m.labels?.kind), ['truncated', 'unseen', 'clamped', 'migrations']);
    assert.ok(approx.every((m) => m.kind === 'counter' && Number.isInteger(m.value) && m.value >= 0));

    // Onset: two competitor hogs on the victim's CPU (victim gets ~1/3 of it).
    const onsetAt = victimRates.length;
    startHog(competitor, CPU);
    startHog(competitor, CPU);
    await waitFor(() => saved.length >= 1, { timeoutMs: 15_000, what: `an event (victim rates ${victimRates.join(', ')})` });
    // Sustained contention for a few more intervals must not fire again.
    const seen = victimRates.length;
    await waitFor(() => victimRates.length >= seen + 4, { timeoutMs: 10_000, what: 'more samples' });
    console.log(`victim wait rates ${victimRates.slice(0, onsetAt).join(',')} | onset | ${victimRates.slice(onsetAt).join(',')}; fired ${fired.join(',')}`);

    const forVictim = saved.filter((s) => s.container?.id === 'wr-e2e-victim');
    assert.equal(forVictim.length, 1, `exactly one event for the victim (fired: ${fired.join(', ')})`);
    const data = forVictim[0]!.data as WaitrateEventData;
    assert.equal(data.container_id, 'wr-e2e-victim');
    assert.equal(data.reason, 'spike');
    assert.ok(data.wait_rate > data.threshold && data.threshold >= 40, `wait ${data.wait_rate} vs threshold ${data.threshold}`);
    const firstContainer = data.competitors.find((c) => c.kind === 'container');
    assert.equal(firstContainer?.id, 'wr-e2e-competitor', JSON.stringify(data.competitors.slice(0, 3)));
    assert.ok(data.wait_histogram_us.length > 0);
    for (const s of saved) assert.ok(['wr-e2e-victim', 'wr-e2e-competitor'].includes(s.container?.id ?? ''), `unexpected event for ${s.container?.id}`);
  });
});
