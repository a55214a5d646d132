// The cpuidle detector without a kernel: HUATUO's unit-test figures (cpuidle_test.go),
// resets, scoring, the choice of one container, path changes; the settings' defaults.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CpuIdleDetector, rankCandidates, scoreOf, splitToTotal, type Measurement } from '../../src/actors/tracers/cpuidle/detector.js';
import { cpuIdleSettingsSchema } from '../../src/actors/tracers/cpuidle/config.js';
import { CPUIDLE_HUATUO_FIELDS } from '../../src/actors/tracers/cpuidle/index.js';

const S = 1_000_000; // µs per second
const defaults = cpuIdleSettingsSchema.parse({});

describe('cpuidle detector (pure)', () => {
  it("computes HUATUO's figures: 50/20/100 %, then 10/0/20 with deltas −40/−20/−80", () => {
    const d = new CpuIdleDetector();
    assert.equal(d.sample('c', '/p', { userUs: 0, systemUs: 0, totalUs: 0 }, 0.5, 0), 'stored');
    assert.equal(d.measurement('c')?.percent, undefined, 'the first sample only stores counters');
    assert.equal(d.sample('c', '/p', { userUs: 250_000, systemUs: 100_000, totalUs: 500_000 }, 0.5, S), 'first-percent');
    assert.deepEqual(d.measurement('c')?.percent, { user: 50, system: 20, total: 100 });
    assert.deepEqual(d.measurement('c')?.delta, { user: 0, system: 0, total: 0 });
    d.sample('c', '/p', { userUs: 300_000, systemUs: 100_000, totalUs: 600_000 }, 0.5, 2 * S);
    assert.deepEqual(d.measurement('c')?.percent, { user: 10, system: 0, total: 20 });
    assert.deepEqual(d.measurement('c')?.delta, { user: -40, system: -20, total: -80 });
    assert.deepEqual(d.measurement('c')?.window, { startUs: S, endUs: 2 * S, capacityCores: 0.5, usage: { userUs: 50_000, systemUs: 0, totalUs: 100_000 } });
  });

  it('truncates toward zero', () => {
    const d = new CpuIdleDetector();
    d.sample('c', '/p', { userUs: 0, systemUs: 0, totalUs: 0 }, 2, 0);
    d.sample('c', '/p', { userUs: 1_999_999, systemUs: 0, totalUs: 1_999_999 }, 2, S);
    assert.equal(d.measurement('c')?.percent?.user, 99);
  });

  for (const [what, usage, at] of [
    ['a counter rollback', { userUs: 100, systemUs: 0, totalUs: 100 }, 2 * S],
    ['zero elapsed', { userUs: 400_000, systemUs: 0, totalUs: 400_000 }, S],
    ['less than 1 µs elapsed', { userUs: 400_000, systemUs: 0, totalUs: 400_000 }, S + 0.5],
  ] as const) {
    it(`${what} resets the percentage history`, () => {
      const d = new CpuIdleDetector();
      d.sample('c', '/p', { userUs: 0, systemUs: 0, totalUs: 0 }, 1, 0);
      d.sample('c', '/p', { userUs: 300_000, systemUs: 0, totalUs: 300_000 }, 1, S);
      assert.equal(d.sample('c', '/p', usage, 1, at), 'reset');
      assert.equal(d.measurement('c')?.percent, undefined);
      // The next sample starts a new history (delta 0).
      d.sample('c', '/p', { userUs: 900_000, systemUs: 0, totalUs: 900_000 }, 1, 3 * S);
      assert.deepEqual(d.measurement('c')?.delta, { user: 0, system: 0, total: 0 });
    });
  }

  it('a changed cgroup path resets the measurements; vanished containers are dropped', () => {
    const d = new CpuIdleDetector();
    d.sample('c', '/old', { userUs: 0, systemUs: 0, totalUs: 0 }, 1, 0);
    d.sample('c', '/old', { userUs: 500_000, systemUs: 0, totalUs: 500_000 }, 1, S);
    assert.equal(d.sample('c', '/new', { userUs: 10, systemUs: 0, totalUs: 10 }, 1, 2 * S), 'stored');
    assert.equal(d.measurement('c')?.percent, undefined);
    d.sample('gone', '/g', { userUs: 0, systemUs: 0, totalUs: 0 }, 1, 0);
    d.retain(new Set(['c']));
    assert.deepEqual(d.ids(), ['c']);
  });

  it("scores like HUATUO: user 80 (T75) with delta 45 (ΔT40) → 10; strict comparisons; best pair wins", () => {
    const t = { ...defaults, userThreshold: 75, deltaUserThreshold: 40 };
    assert.equal(scoreOf({ user: 80, system: 0, total: 80 }, { user: 45, system: 0, total: 45 }, t), 10);
    assert.equal(scoreOf({ user: 75, system: 0, total: 0 }, { user: 90, system: 0, total: 0 }, t), undefined, '75 is not > 75');
    assert.equal(scoreOf({ user: 90, system: 0, total: 0 }, { user: 40, system: 0, total: 0 }, t), undefined, 'Δ40 is not > 40');
    // sys 60 (T45) Δ30 (ΔT20) → 25; total 95 (T90) Δ60 (ΔT55) → 10: the score is 25.
    assert.equal(scoreOf({ user: 0, system: 60, total: 95 }, { user: 0, system: 30, total: 60 }, t), 25);
  });

  it('ranks the higher of two containers first (80 % and 90 %, thresholds 50/20); ties go to the smaller id', () => {
    const t = { ...defaults, usageThreshold: 50, deltaUsageThreshold: 20, userThreshold: 100, sysThreshold: 100 };
    const m = (id: string, total: number): Measurement => ({ id, percent: { user: 0, system: 0, total }, delta: { user: 0, system: 0, total } });
    assert.deepEqual(rankCandidates([m('a', 80), m('b', 90), m('c', 10)], t).map((c) => c.id), ['b', 'a']);
    assert.deepEqual(rankCandidates([m('z', 80), m('y', 80)], t).map((c) => [c.id, c.score]), [['y', 90], ['z', 90]]);
    assert.deepEqual(rankCandidates([{ id: 'fresh' }], t), [], 'no percent yet: not a candidate');
  });
});

describe('cpuidle detector: containers busy from the start, user + sys vs total (issue #14 items 1, 3)', () => {
  it('a container that appears while watched and is busy at once is a candidate on its first percent', () => {
    const d = new CpuIdleDetector();
    d.sample('old', '/old', { userUs: 0, systemUs: 0, totalUs: 0 }, 1, 0);
    d.retain(new Set(['old'])); // the first tick ends; 'new' did not exist then
    d.sample('old', '/old', { userUs: 920_000, systemUs: 0, totalUs: 920_000 }, 1, S);
    assert.equal(d.sample('new', '/new', { userUs: 10_000, systemUs: 0, totalUs: 10_000 }, 1, S), 'stored');
    d.retain(new Set(['old', 'new']));
    d.sample('old', '/old', { userUs: 1_840_000, systemUs: 0, totalUs: 1_840_000 }, 1, 2 * S);
    d.sample('new', '/new', { userUs: 930_000, systemUs: 10_000, totalUs: 940_000 }, 1, 2 * S);
    // user 92 % (stress-ng --cpu in a fresh container): a rise from the 0 % it had before it existed.
    assert.deepEqual(d.measurement('new')?.percent, { user: 92, system: 1, total: 93 });
    assert.deepEqual(d.measurement('new')?.delta, { user: 92, system: 1, total: 93 });
    assert.deepEqual(rankCandidates([d.measurement('old')!, d.measurement('new')!], defaults).map((c) => [c.id, c.score]), [['new', 17 + 47]]);
    // A container already busy when the tracer started has no known earlier percent: HUATUO's delta 0.
    assert.deepEqual(d.measurement('old')?.delta, { user: 0, system: 0, total: 0 });
  });

  it('a recreated cgroup counts as new; a counter rollback of a known one does not', () => {
    const d = new CpuIdleDetector();
    d.sample('c', '/a', { userUs: 0, systemUs: 0, totalUs: 0 }, 1, 0);
    d.retain(new Set(['c']));
    d.sample('c', '/b', { userUs: 0, systemUs: 0, totalUs: 0 }, 1, S);
    d.sample('c', '/b', { userUs: 800_000, systemUs: 0, totalUs: 800_000 }, 1, 2 * S);
    assert.deepEqual(d.measurement('c')?.delta, { user: 80, system: 0, total: 80 });
    assert.equal(d.sample('c', '/b', { userUs: 1, systemUs: 0, totalUs: 1 }, 1, 3 * S), 'reset');
    d.sample('c', '/b', { userUs: 900_001, systemUs: 0, totalUs: 900_001 }, 1, 4 * S);
    assert.deepEqual(d.measurement('c')?.delta, { user: 0, system: 0, total: 0 });
  });

  it('scales a tick-sampled split that exceeds the precise total down to it (v1: user 91 % with total 89 %)', () => {
    const d = new CpuIdleDetector();
    d.sample('c', '/p', { userUs: 0, systemUs: 0, totalUs: 0 }, 1, 0);
    // cpuacct.usage_user/usage_sys count whole ticks; cpuacct.usage is exact.
    d.sample('c', '/p', { userUs: 910_000, systemUs: 20_000, totalUs: 890_000 }, 1, S);
    const p = d.measurement('c')!.percent!;
    assert.equal(p.total, 89);
    assert.ok(p.user + p.system <= p.total, JSON.stringify(p));
    assert.deepEqual(p, { user: 87, system: 1, total: 89 });
    const w = d.measurement('c')!.window!.usage;
    assert.ok(Math.abs(w.userUs + w.systemUs - w.totalUs) < 1e-6, 'the window split adds up to the total');
    assert.deepEqual(splitToTotal({ userUs: 500, systemUs: 200, totalUs: 1000 }), { userUs: 500, systemUs: 200, totalUs: 1000 }, 'a split under the total is kept');
  });
});

describe('cpuidle settings and event shape', () => {
  it("has HUATUO HEAD's code defaults", () => {
    const { containers, ...rest } = defaults;
    assert.deepEqual(rest, {
      userThreshold: 75,
      sysThreshold: 45,
      usageThreshold: 90,
      deltaUserThreshold: 45,
      deltaSysThreshold: 20,
      deltaUsageThreshold: 55,
      intervalSeconds: 10,
      captureSeconds: 10,
      frequency: 99,
      cgroupMethod: 'auto',
    });
    assert.deepEqual(containers.filter, { included: [], excluded: [] });
  });
  it('rejects out-of-range values and bad filter rules', () => {
    for (const bad of [{ userThreshold: 101 }, { deltaSysThreshold: -1 }, { intervalSeconds: 0 }, { containers: { filter: { included: [{ field: 'container_qos', pattern: '(' }] } } }]) {
      assert.equal(cpuIdleSettingsSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
    assert.equal(cpuIdleSettingsSchema.safeParse({ containers: { filter: { excluded: [{ field: 'container_host_namespace', pattern: '^kube-system$' }] } } }).success, true);
  });
  it("pins HUATUO's twelve percent fields + flamedata", () => {
    assert.deepEqual([...CPUIDLE_HUATUO_FIELDS], [
      'user_percent', 'user_percent_threshold', 'user_percent_delta', 'user_percent_delta_threshold',
      'system_percent', 'system_percent_threshold', 'system_percent_delta', 'system_percent_delta_threshold',
      'total_percent', 'total_percent_threshold', 'total_percent_delta', 'total_percent_delta_threshold',
      'flamedata',
    ]);
  });
});
