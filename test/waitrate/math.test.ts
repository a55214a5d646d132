// Pure parts of waitrate, no kernel: rates, the spike detector, competitor ranking, settings.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { activityPercent, computeRates, counterDelta } from '../../src/actors/tracers/waitrate/rates.js';
import { SpikeDetector } from '../../src/actors/tracers/waitrate/detector.js';
import { histogramBuckets, rankCompetitors } from '../../src/actors/tracers/waitrate/ranking.js';
import { waitrateSettingsSchema } from '../../src/actors/tracers/waitrate/config.js';
import { thresholdFor } from '../../src/actors/tracers/waitrate/index.js';
import { competitorNamer } from '../../src/actors/tracers/waitrate/event.js';
import type { Container } from '../../src/containers/index.js';

const container = (id: string, extra: Partial<Container> = {}): Container => ({ id, name: `/x/${id}`, type: 'cgroup', v1Paths: {}, v1Ids: {}, ...extra });

describe('waitrate rates', () => {
  it('splits wait + throttle + run into percents that add up', () => {
    const r = computeRates({ waitNs: 0, innerNs: 100, externalNs: 300, latencyNs: 50, throttledNs: 50, runNs: 500 });
    assert.equal(r.inner_wait_rate, 10);
    assert.equal(r.external_wait_rate, 30);
    assert.equal(r.latency_wait_rate, 5);
    assert.equal(r.throttle_wait_rate, 5);
    assert.equal(r.wait_rate, 50);
    assert.ok(Math.abs(r.wait_rate - (r.inner_wait_rate + r.external_wait_rate + r.latency_wait_rate + r.throttle_wait_rate)) < 1e-9);
  });
  it('is all zeros for an idle interval, and ignores negative deltas', () => {
    assert.deepEqual(Object.values(computeRates({ waitNs: 0, innerNs: 0, externalNs: 0, latencyNs: 0, throttledNs: 0, runNs: 0 })), [0, 0, 0, 0, 0]);
    assert.equal(computeRates({ waitNs: 0, innerNs: -5, externalNs: 0, latencyNs: 0, throttledNs: 0, runNs: 10 }).wait_rate, 0);
    assert.equal(counterDelta(5n, 10n), 0, 'a counter reset is no negative time');
    assert.equal(counterDelta(15n, 10n), 5);
  });
  it('activity is busy time over one CPU of wall time', () => {
    assert.equal(activityPercent({ waitNs: 0, innerNs: 0, externalNs: 0, latencyNs: 0, throttledNs: 0, runNs: 5e8 }, 1e9), 50);
    assert.equal(activityPercent({ waitNs: 0, innerNs: 0, externalNs: 0, latencyNs: 0, throttledNs: 0, runNs: 5e8 }, 0), 0);
  });
});

describe('waitrate spike detector', () => {
  const threshold = { k: 3, minThreshold: 20 };
  it('fires exactly once on a contention onset after warm-up', () => {
    const d = new SpikeDetector(360, 12);
    // 30 quiet samples (2..6 %), then sustained contention at ~60 %, then back to quiet.
    const series = [...Array.from({ length: 30 }, (_, i) => 2 + (i % 5)), ...Array.from({ length: 20 }, (_, i) => 58 + (i % 4)), ...Array.from({ length: 10 }, () => 3)];
    const fired = series.map((v) => d.observe(v, threshold).fire);
    assert.deepEqual(fired.flatMap((f, i) => (f ? [i] : [])), [30]);
  });
  it('never fires during warm-up, whatever the value', () => {
    const d = new SpikeDetector(360, 12);
    for (let i = 0; i < 12; i++) assert.equal(d.observe(i === 5 ? 99 : 1, threshold).fire, false);
    assert.equal(d.size, 12);
    assert.equal(d.observe(1, threshold).warmingUp, false);
  });
  it('needs both the minimum and mean + k*std', () => {
    const d = new SpikeDetector(360, 3);
    for (let i = 0; i < 10; i++) d.observe(i % 2 === 0 ? 1 : 3, threshold);
    const under = d.observe(15, threshold); // above mean + 3 std (= 5) but under the 20 % floor
    assert.equal(under.fire, false);
    assert.equal(under.threshold, 20);
    const d2 = new SpikeDetector(360, 3);
    for (let i = 0; i < 10; i++) d2.observe(i % 2 === 0 ? 30 : 50, threshold); // mean 40, std 10 -> 70
    assert.equal(d2.observe(65, threshold).fire, false);
    assert.equal(d2.observe(90, threshold).fire, true, 'the 65 joined the window: mean 41.4, std 11.4 -> 75.6');
  });
  it('re-arms after the rate drops under the threshold, and keeps only `capacity` samples', () => {
    const d = new SpikeDetector(5, 3);
    for (let i = 0; i < 5; i++) d.observe(1, threshold);
    assert.equal(d.observe(50, threshold).fire, true);
    assert.equal(d.observe(1, threshold).fire, false);
    assert.equal(d.size, 5);
  });
});

describe('waitrate competitor ranking', () => {
  const cells = [
    { victimCgroup: 10n, competitorCgroup: 20n, competitorTgid: 0, perCpuNs: [0n, 600n] },
    { victimCgroup: 10n, competitorCgroup: 1n, competitorTgid: 77, perCpuNs: [100n, 100n] },
    { victimCgroup: 10n, competitorCgroup: 10n, competitorTgid: 0, perCpuNs: [0n, 50n] },
    { victimCgroup: 10n, competitorCgroup: 0n, competitorTgid: 0, perCpuNs: [50n, 0n] },
    { victimCgroup: 10n, competitorCgroup: 99n, competitorTgid: 0, perCpuNs: [100n, 0n] },
    { victimCgroup: 11n, competitorCgroup: 20n, competitorTgid: 0, perCpuNs: [9999n, 0n] },
  ];
  const namer = competitorNamer((id) => (id === 20n ? container('comp') : undefined), new Map([[77, 'dd']]));
  it('ranks by share of the attributed wait, per CPU, with self and idle apart', () => {
    const r = rankCompetitors(cells, 10n, namer, 10);
    assert.equal(r.attributed_wait_ns, 1000);
    assert.equal(r.inner_share, 5);
    assert.equal(r.idle_share, 5);
    assert.deepEqual(r.competitors.map((c) => [c.kind, c.id, c.name, c.share]), [
      ['container', 'comp', '/x/comp', 60],
      ['host_process', 'pid:77', 'dd', 20],
      ['cgroup', 'cgroup:99', 'cgroup 99', 10],
    ]);
    assert.deepEqual(r.competitors[0]?.per_cpu, [{ cpu: 1, wait_ns: 600 }]);
    assert.equal(rankCompetitors(cells, 10n, namer, 1).competitors.length, 1);
  });
  it('histogram slots become upper bounds in µs', () => {
    assert.deepEqual(histogramBuckets([3, 0, 2]), [{ le_us: 2, count: 3 }, { le_us: 8, count: 2 }]);
  });
});

describe('waitrate detector: contention from the start, noise (issue #14 item 2)', () => {
  const rules = { k: 3, minThreshold: 20, minRise: 5, floorPercent: 30, floorIntervals: 3 };
  it('the absolute floor fires after floorIntervals samples over it, during warm-up, once', () => {
    const d = new SpikeDetector(360, 12);
    // Contended from the first sample (a pinned hog sharing its CPU with two others: ~66 %).
    const verdicts = [66.2, 65.8, 66.5, 66.1, 66.0, 65.9].map((v) => d.observe(v, rules));
    assert.deepEqual(verdicts.map((v) => v.fire), [false, false, true, false, false, false]);
    assert.equal(verdicts[2]!.rule, 'floor');
    assert.equal(verdicts[2]!.warmingUp, true, 'no history needed');
    assert.deepEqual(verdicts.map((v) => v.floorRun), [1, 2, 3, 4, 5, 6]);
    // Below the floor re-arms it; a dip breaks the run.
    assert.equal(d.observe(10, rules).fire, false);
    assert.deepEqual([50, 5, 50, 50, 50].map((v) => d.observe(v, rules).fire), [false, false, false, false, true]);
  });
  it('a steady series does not fire on noise once warmed up (a 0.14-point margin is not a spike)', () => {
    const d = new SpikeDetector(360, 3);
    const noFloor = { ...rules, floorPercent: 100 };
    // Steady ~50 % contention: std ≈ 0.03, so mean + 3·std is 50.1 and 50.19 would pass it.
    const series = [50.02, 49.97, 50.04, 50.0, 50.19, 49.98, 50.21, 50.05];
    assert.deepEqual(series.map((v) => d.observe(v, noFloor).fire), series.map(() => false));
    // A real rise still fires, by the spike rule.
    const v = d.observe(62, noFloor);
    assert.equal(v.fire, true);
    assert.equal(v.rule, 'spike');
  });
});

describe('waitrate settings', () => {
  it('has HUATUO-like defaults', () => {
    const s = waitrateSettingsSchema.parse({});
    assert.equal(s.intervalSeconds, 5);
    assert.equal(s.captureSeconds, 15);
    assert.equal(s.windowMinutes, 30);
    assert.deepEqual(s.thresholds.default, { k: 3, minThreshold: 20, minRise: 5, floorPercent: 30, floorIntervals: 3 });
  });
  it('per-QoS thresholds override the default', () => {
    const s = waitrateSettingsSchema.parse({ thresholds: { besteffort: { k: 6, minThreshold: 40 } } });
    assert.deepEqual(thresholdFor(s, container('a', { qos: 'besteffort' })), { k: 6, minThreshold: 40, minRise: 5, floorPercent: 30, floorIntervals: 3 });
    assert.deepEqual(thresholdFor(s, container('b', { qos: 'guaranteed' })), { k: 3, minThreshold: 20, minRise: 5, floorPercent: 30, floorIntervals: 3 });
    assert.deepEqual(thresholdFor(s, container('c')), { k: 3, minThreshold: 20, minRise: 5, floorPercent: 30, floorIntervals: 3 });
  });
  it('rejects unknown keys and bad values', () => {
    assert.equal(waitrateSettingsSchema.safeParse({ interval: 5 }).success, false);
    assert.equal(waitrateSettingsSchema.safeParse({ intervalSeconds: 0 }).success, false);
    assert.equal(waitrateSettingsSchema.safeParse({ thresholds: { default: { k: -1, minThreshold: 20 } } }).success, false);
  });
});

describe('waitrate event data', () => {
  it('has exactly the documented snake_case fields', async () => {
    const { buildEventData } = await import('../../src/actors/tracers/waitrate/event.js');
    const victim = container('victim', { v2Id: 10n, qos: 'burstable' });
    const data = buildEventData({
      container: victim,
      rates: computeRates({ waitNs: 0, innerNs: 10, externalNs: 60, latencyNs: 0, throttledNs: 0, runNs: 30 }),
      verdict: { threshold: 25, mean: 5, std: 2 },
      threshold: { k: 3, minThreshold: 20 },
      reason: 'spike',
      capture: {
        seconds: 15,
        cells: [{ victimCgroup: 10n, competitorCgroup: 20n, competitorTgid: 0, perCpuNs: [0n, 60n] }, { victimCgroup: 10n, competitorCgroup: 10n, competitorTgid: 0, perCpuNs: [10n, 0n] }],
        comms: new Map(),
        histogram: [0, 0, 4],
        stats: { waits: 4n, waitNs: 70n, attributedNs: 70n, truncated: 0n, matrixFull: 0n, histFull: 0n, commsFull: 0n, migratedNs: 0n },
      },
      byCgroupId: (id) => (id === 20n ? container('comp') : undefined),
      top: 10,
    });
    assert.deepEqual(Object.keys(data).sort(), [
      'attributed_wait_ns', 'capture_migrated_ns', 'capture_overflows', 'capture_seconds', 'capture_truncated_waits', 'capture_wait_ns', 'capture_waits',
      'competitors', 'container_id', 'container_name', 'container_qos', 'external_wait_rate', 'floor_intervals', 'floor_percent', 'idle_share', 'inner_share', 'inner_wait_rate', 'k',
      'latency_wait_rate', 'min_rise', 'min_threshold', 'reason', 'threshold', 'throttle_wait_rate', 'wait_histogram_us', 'wait_rate', 'window_mean', 'window_std',
    ]);
    assert.equal(data.container_qos, 'burstable');
    assert.equal(data.external_wait_rate, 60);
    assert.deepEqual(data.competitors.map((c) => [c.id, Math.round(c.share)]), [['comp', 86]]);
    assert.equal(Math.round(data.inner_share), 14);
    assert.deepEqual(data.wait_histogram_us, [{ le_us: 8, count: 4 }]);
    assert.doesNotThrow(() => JSON.stringify(data), 'no bigint in tracer_data');
  });
});
