// Measures what iotracing costs (not a test; run as root):
//   node dist-iotracing/test/iotracing/measure-cost.js [runs=5] [idleSeconds=30]
// - idle: CPU of the detector loop (diskstats read + parse + detect) at the default 5 s
//   interval and at 0.1 s, as CPU ms per minute;
// - capture: BPF run-time stats (run count, ns per run) of the block and sched programs
//   during a direct-IO dd on a loop device, and the dd's wall time with the capture
//   attached vs not (median of `runs` alternating runs).
import { spawnSync } from 'node:child_process';
import { BpfObject, enableBpfStats } from '../../src/native/index.js';
import { IOTRACING_OBJECT, iotracingRodata, kernelDev } from '../../src/native/bpf/iotracing.js';
import { iotracingSettingsSchema, type IotracingSettings } from '../../src/actors/tracers/iotracing/config.js';
import { IotracingTracer } from '../../src/actors/tracers/iotracing/index.js';
import { testContext } from '../support/tracer-context.js';
import { createLoopFs, destroyLoopFs } from './loopdev.js';

const runs = Number(process.argv[2] ?? 5);
const idleSeconds = Number(process.argv[3] ?? 30);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function idleCost(intervalSeconds: number): Promise<void> {
  const abort = new AbortController();
  const settings = iotracingSettingsSchema.parse({ intervalSeconds, containers: { plainRoots: [], scanRoots: [] } });
  const done = new IotracingTracer().start(testContext<IotracingSettings>('iotracing', settings, abort.signal));
  await new Promise((r) => setTimeout(r, 5000)); // start-up (BPF verifier check, resolver scan) excluded
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  abort.abort();
  await done;
  const d = process.cpuUsage(before);
  console.log(JSON.stringify({ what: 'idle detector', intervalSeconds, cpuMsPerMinute: +(((d.user + d.system) / 1000) * (60 / idleSeconds)).toFixed(2) }));
}

function ddSeconds(target: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('dd', ['if=/dev/zero', `of=${target}`, 'bs=4k', 'count=40000', 'oflag=direct', 'conv=notrunc', 'status=none']);
  if (r.status !== 0) throw new Error(`dd failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

await idleCost(5);
await idleCost(0.1);
const fs = createLoopFs('iot-bench');
const stats = enableBpfStats();
try {
  const target = `${fs.mnt}/bench`;
  ddSeconds(target); // warm-up: allocate the file
  const without: number[] = [];
  const withCapture: number[] = [];
  const perProgram = new Map<string, { runs: bigint; ns: bigint }>();
  for (let i = 0; i < runs; i++) {
    without.push(ddSeconds(target));
    const o = BpfObject.openBuilt(IOTRACING_OBJECT, { rodata: iotracingRodata({ targetDisks: [kernelDev(fs.major, fs.minor)], minBlockedNs: 1_000_000n }) });
    try {
      o.attach();
      withCapture.push(ddSeconds(target));
      for (const p of o.programStats()) {
        const acc = perProgram.get(p.name) ?? { runs: 0n, ns: 0n };
        perProgram.set(p.name, { runs: acc.runs + p.runCount, ns: acc.ns + p.runTimeNs });
      }
    } finally {
      o.close();
    }
  }
  for (const [name, s] of perProgram) {
    console.log(JSON.stringify({ what: 'bpf program during dd (4 KiB direct writes, 40000 per run)', name, runsPerDd: Number(s.runs) / runs, nsPerRun: s.runs > 0n ? Number(s.ns / s.runs) : 0, totalMsPerDd: +(Number(s.ns) / 1e6 / runs).toFixed(2) }));
  }
  const m0 = median(without);
  const m1 = median(withCapture);
  console.log(JSON.stringify({ what: 'dd wall time, median', runs, withoutS: +m0.toFixed(3), withCaptureS: +m1.toFixed(3), slowdownPercent: +(((m1 - m0) / m0) * 100).toFixed(1), without: without.map((x) => +x.toFixed(3)), withCapture: withCapture.map((x) => +x.toFixed(3)) }));
} finally {
  stats.close();
  destroyLoopFs(fs);
}
