// The cpusys detector without a kernel: /proc/stat parsing, HUATUO's algorithm and its own
// end-to-end sequence, strict thresholds; the settings' HUATUO defaults; the event fields.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CpuSysDetector, parseProcStat } from '../../src/actors/tracers/cpusys/detector.js';
import { cpuSysSettingsSchema } from '../../src/actors/tracers/cpusys/config.js';
import { CPUSYS_HUATUO_FIELDS } from '../../src/actors/tracers/cpusys/index.js';
import { HUATUO_CPUSYS_SEQUENCE, statText } from '../fixtures/cputracers/cpusys-sequence.js';

const thresholds = { sysThreshold: 45, deltaSysThreshold: 20 };
const snap = (system: number, total: number) => ({ system, total });

describe('cpusys /proc/stat parsing', () => {
  it('sums only the first 8 counters and takes the 3rd as system', () => {
    // guest (9th) and guest_nice (10th) are already inside user/nice: left out.
    assert.deepEqual(parseProcStat('cpu  1 2 3 4 5 6 7 8 1000 2000\ncpu0 1 1 1 1\n'), { system: 3, total: 36 });
  });
  it('accepts 4 counters, rejects fewer, a non-cpu first line and junk', () => {
    assert.deepEqual(parseProcStat('cpu 10 0 5 85'), { system: 5, total: 100 });
    assert.throws(() => parseProcStat('cpu 1 2 3\n'), { code: 'CPUSYS_STAT_INVALID' });
    assert.throws(() => parseProcStat('intr 1 2 3 4 5\n'), { code: 'CPUSYS_STAT_INVALID' });
    assert.throws(() => parseProcStat('cpu 1 x 3 4\n'), { code: 'CPUSYS_STAT_INVALID' });
  });
  it('parses the real /proc/stat', async () => {
    const { readFile } = await import('node:fs/promises');
    const s = parseProcStat(await readFile('/proc/stat', 'utf8'));
    assert.ok(s.total > 0 && s.system > 0 && s.system <= s.total);
  });
});

describe('cpusys detector (pure)', () => {
  it("replays HUATUO's end-to-end sequence: only the last step triggers, with 80 % / Δ70", () => {
    const d = new CpuSysDetector(thresholds);
    for (const step of HUATUO_CPUSYS_SEQUENCE) {
      const o = d.feed(parseProcStat(statText(step.line)));
      // Holding a value (identical counters) is skipped, as when HUATUO ticks 3 times per value.
      assert.deepEqual(d.feed(parseProcStat(statText(step.line))), { kind: 'skipped' }, step.why);
      switch (step.expect) {
        case 'baseline':
          assert.deepEqual(o, { kind: 'baseline', percent: step.percent }, step.why);
          break;
        case 'reset':
          assert.deepEqual(o, { kind: 'reset', reason: 'rollback' }, step.why);
          break;
        case 'sample-no-trigger':
          assert.deepEqual(o, { kind: 'sample', percent: step.percent, delta: step.delta, exceeded: false }, step.why);
          break;
        case 'trigger':
          assert.deepEqual(o, { kind: 'sample', percent: step.percent, delta: step.delta, exceeded: true }, step.why);
          break;
      }
    }
  });

  it('floors the percent and compares both thresholds strictly', () => {
    const d = new CpuSysDetector(thresholds);
    d.feed(snap(0, 100)); // baseline 0 %
    // 45.9 % → 45: not > 45 even though Δ45 > 20.
    assert.deepEqual(d.feed(snap(459, 1100)), { kind: 'sample', percent: 45, delta: 45, exceeded: false });
    const e = new CpuSysDetector(thresholds);
    e.feed(snap(30, 100)); // 30 %
    // 50 % with Δ20: Δ not > 20.
    assert.deepEqual(e.feed(snap(80, 200)), { kind: 'sample', percent: 50, delta: 20, exceeded: false });
    assert.deepEqual(e.feed(snap(151, 300)), { kind: 'sample', percent: 71, delta: 21, exceeded: true });
  });

  it('resets when sys grows more than total, and a reset never triggers', () => {
    const d = new CpuSysDetector(thresholds);
    d.feed(snap(10, 100));
    assert.deepEqual(d.feed(snap(200, 150)), { kind: 'reset', reason: 'sys-above-total' });
    assert.equal(d.percent, undefined);
    assert.deepEqual(d.feed(snap(290, 250)), { kind: 'baseline', percent: 90 });
  });

  it('a total rollback alone resets too', () => {
    const d = new CpuSysDetector(thresholds);
    d.feed(snap(10, 100));
    assert.deepEqual(d.feed(snap(10, 90)), { kind: 'reset', reason: 'rollback' });
  });
});

describe('cpusys settings and event shape', () => {
  it("has HUATUO HEAD's defaults", () => {
    assert.deepEqual(cpuSysSettingsSchema.parse({}), {
      sysThreshold: 45,
      deltaSysThreshold: 20,
      intervalSeconds: 10,
      subIntervalSeconds: 1,
      captureSeconds: 10,
      frequency: 99,
      procRoot: '/proc',
    });
  });
  it('rejects percentages outside 0..100, non-positive timers and unknown keys', () => {
    for (const bad of [{ sysThreshold: 101 }, { deltaSysThreshold: -1 }, { intervalSeconds: 0 }, { captureSeconds: 0 }, { procRoot: 'proc' }, { sysThresold: 3 }]) {
      assert.equal(cpuSysSettingsSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
  it("pins HUATUO's tracer_data field names", () => {
    assert.deepEqual([...CPUSYS_HUATUO_FIELDS], ['system_percent', 'system_percent_threshold', 'system_percent_delta', 'system_percent_delta_threshold', 'flamedata']);
  });
});
