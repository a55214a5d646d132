// Recorded inputs: `autotracer record-inputs` copies the files the detectors read from the
// live host into a fixture tree, and a recording replays through a detector (cpusys, on
// test/fixtures/recorded/sys-spike: six /proc/stat samples 1 s apart, recorded on this VM
// while four `dd bs=1` loops ran from t≈2.2 s) and through a whole tracer in its actor
// (TracerContext.procRoot, set by the supervisor's spec).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORDED_FILES, recordedSamples } from '../../src/actors/recorded-inputs.js';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import { readProcStat } from '../../src/actors/tracers/cpusys/index.js';
import { CpuSysDetector, type CpuSysObservation } from '../../src/actors/tracers/cpusys/detector.js';
import { readMemSample } from '../../src/actors/tracers/memburst/meminfo.js';
import { onlineCpus } from '../../src/actors/tracers/dload/proc.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { runCli } from '../cli/support.js';
import { savedEvents, startSupervisor, waitFor } from '../supervisor/harness.js';

const recording = fileURLToPath(new URL('../../../test/fixtures/recorded/sys-spike', import.meta.url));

async function replayCpuSys(thresholds: { sysThreshold: number; deltaSysThreshold: number }): Promise<CpuSysObservation[]> {
  const detector = new CpuSysDetector(thresholds);
  const out: CpuSysObservation[] = [];
  for (const sample of recordedSamples(recording).samples) out.push(detector.feed(await readProcStat(sample.procRoot)));
  return out;
}

describe('recorded inputs', () => {
  it('record-inputs copies the detectors\' files from the live host, sample by sample', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'autotracer-record-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'rec');
    const r = await runCli(['record-inputs', '--out', out, '--seconds', '1', '--interval-ms', '250']);
    assert.equal(r.code, 0, r.stderr);
    const { manifest, samples } = recordedSamples(out);
    assert.equal(manifest.samples, 5);
    assert.deepEqual(manifest.files, [...RECORDED_FILES]);
    assert.deepEqual(samples.map((s) => s.atMs), [0, 250, 500, 750, 1000]);
    for (const s of samples) {
      // procfs reports size 0: the recorder must have read the content, not copied the size.
      assert.ok(statSync(join(s.procRoot, 'stat')).size > 100);
      assert.match(readFileSync(join(s.sysRoot, 'devices/system/cpu/online'), 'utf8'), /^\d+(-\d+)?/);
      assert.ok(readMemSample(s.procRoot).anonBytes > 0);
    }
    const again = await runCli(['record-inputs', '--out', out, '--seconds', '1']);
    assert.equal(again.code, 2, 'a non-empty directory is never overwritten');
    assert.match(again.stderr, /not empty/);
  });

  it('a recorded sys% episode replays through the cpusys detector', async () => {
    const { manifest } = recordedSamples(recording);
    assert.equal(manifest.intervalMs, 1000);
    // HUATUO's defaults: the rise to 35 % is below 45 %: no capture.
    const defaults = await replayCpuSys({ sysThreshold: 45, deltaSysThreshold: 20 });
    assert.deepEqual(defaults.map((o) => (o.kind === 'sample' || o.kind === 'baseline' ? o.percent : o.kind)), [24, 27, 24, 35, 33, 34]);
    assert.ok(defaults.every((o) => o.kind !== 'sample' || !o.exceeded));
    // dload's online CPUs come from the recording's sysRoot too (this VM: 2 CPUs).
    assert.deepEqual(onlineCpus(recordedSamples(recording).samples[0]!.sysRoot), [0, 1]);
    // A host tuned tighter fires exactly once, on the jump when the loops started.
    const tight = await replayCpuSys({ sysThreshold: 30, deltaSysThreshold: 10 });
    assert.deepEqual(tight.map((o) => o.kind === 'sample' && o.exceeded), [false, false, false, true, false, false]);
  });

  it('a tracer in its actor reads the recording through ctx.procRoot', async (t) => {
    const sample = recordedSamples(recording).samples[3]!;
    const [load1, load5, load15] = readFileSync(join(sample.procRoot, 'loadavg'), 'utf8').split(' ').map(Number);
    const { events } = await startSupervisor(t, [
      tracerSpec({ name: 'example', modulePath: builtinTracers.example!.modulePath, procRoot: sample.procRoot, settings: { loadThreshold: 0, sampleMs: 50 }, cooldownSeconds: 3600 }),
    ]);
    const saved = await waitFor('the example event', () => savedEvents(events, 'example')[0], 10_000);
    assert.deepEqual(saved.data, { load1, load5, load15, threshold: 0 });
  });
});
