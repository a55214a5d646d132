// cpusys end to end through its Tracer object (real captureProfile, real BPF):
// 1. HUATUO's own sequence replayed through a procRoot fixture → exactly one capture with
//    80 % / Δ70; 2. a real syscall-heavy workload with lowered thresholds → an event whose
//    flame graph has kernel frames.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeCapturePool, type FlameFrame } from '../../src/capture/index.js';
import { cpuSysSettingsSchema, type CpuSysSettings } from '../../src/actors/tracers/cpusys/config.js';
import { CPUSYS_HUATUO_FIELDS, CpuSysTracer, type CpuSysEventData } from '../../src/actors/tracers/cpusys/index.js';
import type { CpuSysObservation } from '../../src/actors/tracers/cpusys/detector.js';
import { spawnWorkload, waitFor, type Workload } from '../support/host.js';
import { HUATUO_CPUSYS_SEQUENCE, statText } from '../fixtures/cputracers/cpusys-sequence.js';
import { testContext, type TestContext } from '../support/tracer-context.js';

/** Every key a cpusys event may carry: HUATUO's five, then our documented extras. */
const EXTRA_FIELDS = ['folded', 'profile', 'system_percent_peak', 'percent_windows'];

/** Kills the process group we created for `w` (stress-ng and its workers), then waits for it. */
async function killGroup(w: Workload): Promise<void> {
  try {
    process.kill(-w.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await w.kill();
}

function kernelFrames(flamedata: FlameFrame[]): string[] {
  return flamedata.filter((f) => f.label.endsWith('_[k]')).map((f) => f.label);
}

describe('cpusys tracer', () => {
  const aborts: AbortController[] = [];
  const runs: Array<Promise<void>> = [];
  const contexts: Array<TestContext<CpuSysSettings>> = [];
  const workloads: Workload[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const a of aborts) a.abort();
    await Promise.allSettled(runs);
    for (const w of workloads) await killGroup(w);
    for (const c of contexts) c.closeAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await closeCapturePool();
  });

  function run(settings: CpuSysSettings): { tracer: CpuSysTracer; ctx: TestContext<CpuSysSettings>; observations: CpuSysObservation[]; failed: () => unknown } {
    const abort = new AbortController();
    aborts.push(abort);
    const ctx = testContext<CpuSysSettings>('cpusys', settings, abort.signal);
    contexts.push(ctx);
    const tracer = new CpuSysTracer();
    const observations: CpuSysObservation[] = [];
    tracer.onObservation = (o) => observations.push(o);
    let error: unknown;
    runs.push(tracer.start(ctx).catch((err: unknown) => void (error = err)));
    return { tracer, ctx, observations, failed: () => error };
  }

  it("replays HUATUO's /proc/stat sequence: exactly one capture, with 80 % / Δ70 / 45 / 20", async () => {
    const procRoot = mkdtempSync(join(tmpdir(), 'cpusys-proc-'));
    dirs.push(procRoot);
    // Atomic replace: the tracer never reads a half-written file.
    const put = (line: string) => {
      writeFileSync(join(procRoot, 'stat.tmp'), statText(line));
      renameSync(join(procRoot, 'stat.tmp'), join(procRoot, 'stat'));
    };
    put(HUATUO_CPUSYS_SEQUENCE[0]!.line);
    const settings = cpuSysSettingsSchema.parse({ procRoot, intervalSeconds: 0.1, captureSeconds: 1 });
    const { ctx, observations, failed } = run(settings);

    const kinds: string[] = [];
    for (const [i, step] of HUATUO_CPUSYS_SEQUENCE.entries()) {
      if (i > 0) put(step.line);
      // Hold the value for a few ticks, as HUATUO's script holds each one for 3 intervals.
      const seen = observations.length;
      await waitFor(() => failed() ?? (observations.length >= seen + 3 && ctx.saved.length >= (step.expect === 'trigger' ? 1 : 0)), {
        timeoutMs: 20_000,
        what: `ticks after "${step.line}"`,
      });
      assert.equal(failed(), undefined, `the tracer failed: ${String(failed())}`);
      kinds.push(...observations.slice(seen).filter((o) => o.kind !== 'skipped').map((o) => o.kind));
      assert.equal(ctx.saved.length, step.expect === 'trigger' ? 1 : 0, `after "${step.line}" (${step.why})`);
    }
    // The value after each write is consumed once; the repeats are skipped (no time passed).
    assert.deepEqual(kinds, ['baseline', 'reset', 'baseline', 'sample', 'sample']);
    assert.equal(ctx.ledger.log.length, 1, 'the cooldown was asked once');

    const event = ctx.saved[0]!;
    assert.equal(event.containerId, undefined, 'a host event');
    const data = event.data as CpuSysEventData;
    assert.deepEqual(Object.keys(data), [...CPUSYS_HUATUO_FIELDS.filter((f) => f !== 'flamedata'), 'flamedata', ...EXTRA_FIELDS]);
    assert.equal(data.system_percent, 80);
    assert.equal(data.system_percent_threshold, 45);
    assert.equal(data.system_percent_delta, 70);
    assert.equal(data.system_percent_delta_threshold, 20);
    assert.ok(data.flamedata.length > 0 && data.flamedata[0]?.label === 'all', 'a real host-wide profile');
    assert.equal(data.profile?.scope.kind, 'host');
  });

  it('captures a real %sys spike (stress-ng --sysinfo) with kernel frames in the flame graph', async () => {
    // Lowered thresholds: the baseline is the since-boot average of this shared host; the
    // workload pushes sys% well above it.
    const settings = cpuSysSettingsSchema.parse({ sysThreshold: 30, deltaSysThreshold: 10, intervalSeconds: 1, captureSeconds: 2 });
    const { tracer, ctx, observations, failed } = run(settings);
    await waitFor(() => failed() ?? observations.some((o) => o.kind === 'baseline'), { timeoutMs: 5000, what: 'the baseline' });
    // Own process group, so teardown can also kill stress-ng's workers (by our group id).
    const stress = spawnWorkload('stress-ng', ['--sysinfo', '2', '--timeout', '60s'], { detached: true });
    workloads.push(stress);
    await waitFor(() => failed() ?? ctx.saved.length >= 1, { timeoutMs: 30_000, what: `a cpusys event (observations ${JSON.stringify(observations.slice(-6))})` });
    assert.equal(failed(), undefined, String(failed()));
    await killGroup(stress);
    const data = ctx.saved[0]!.data as CpuSysEventData;
    assert.equal(data.capture_error, undefined, JSON.stringify(data.capture_error));
    assert.ok(data.system_percent > 30 && data.system_percent_delta > 10, `figures ${data.system_percent} / Δ${data.system_percent_delta}`);
    assert.equal(data.system_percent_threshold, 30);
    assert.equal(data.system_percent_delta_threshold, 10);
    assert.ok(data.flamedata.length > 1, 'non-empty flame graph');
    const root = data.flamedata[0]!;
    assert.equal(root.label, 'all');
    assert.equal(root.value, data.profile?.samples);
    assert.ok(root.value > 100, `samples ${root.value}`);
    const kernel = kernelFrames(data.flamedata);
    assert.ok(kernel.length > 0, 'kernel frames (_[k]) in the flame graph');
    assert.ok(data.flamedata.some((f) => f.level === 1 && f.label.startsWith('stress-ng')), 'stress-ng in the graph');
    assert.ok(data.folded.includes('_[k]'), 'folded stacks kept with kernel frames');
    // A manual trigger: captures now, figures measured over the capture window.
    await tracer.trigger({ reason: 'manual-test' }, ctx);
    assert.equal(ctx.saved.length, 2);
    const manual = ctx.saved[1]!.data as CpuSysEventData;
    assert.equal(manual.reason, 'manual-test');
    assert.equal(manual.capture_error, undefined);
    assert.ok(manual.flamedata.length > 1 && manual.system_percent >= 0 && manual.system_percent <= 100);
    console.log(`cpusys real run: sys ${data.system_percent}% Δ${data.system_percent_delta}, ${root.value} samples, ${kernel.length} kernel nodes, lost ${JSON.stringify(data.profile?.lost)}`);
  });
});
