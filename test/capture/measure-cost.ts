// Not a test: measures what a capture costs (docs/capture.md, "Measured"). Run as root:
//   node dist-<x>/test/capture/measure-cost.js [seconds=10] [runs=2] [stacks map size=16384]
// Prints, per run: samples, CPU seconds of this process (main thread + pool worker,
// process.cpuUsage), BPF program run time (bpf_enable_stats, read with bpftool while the
// program is attached), main-thread event-loop delay, and the symbolization job's CPU time.
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { enableBpfStats } from '../../src/native/index.js';
import { captureProfile } from '../../src/capture/capture-profile.js';
import { closeCapturePool } from '../../src/capture/symbolize-pool.js';

const seconds = Number(process.argv[2] ?? 10);
const runs = Number(process.argv[3] ?? 2);
const stacks = process.argv[4] === undefined ? undefined : Number(process.argv[4]);

/** run time of the profile program this capture loaded: the perf_event "sample" program not loaded before. */
function bpfSampleStats(before: Set<number>): { runTimeNs: number; runCnt: number } | undefined {
  const mine = perfSamplePrograms().filter((p) => !before.has(p.id));
  if (mine.length !== 1) return undefined; // another profiler started meanwhile: do not guess
  return { runTimeNs: mine[0]!.run_time_ns ?? 0, runCnt: mine[0]!.run_cnt ?? 0 };
}

function perfSamplePrograms(): Array<{ id: number; run_time_ns?: number; run_cnt?: number }> {
  const r = spawnSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const progs = JSON.parse(r.stdout) as Array<{ id: number; type: string; name?: string; run_time_ns?: number; run_cnt?: number }>;
  return progs.filter((p) => p.type === 'perf_event' && p.name === 'sample');
}

const stats = enableBpfStats();
try {
  for (let run = 1; run <= runs; run++) {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const before = new Set(perfSamplePrograms().map((p) => p.id));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const pending = captureProfile({ durationMs: seconds * 1000, ...(stacks === undefined ? {} : { mapSizes: { stacks } }) });
    await sleep(seconds * 1000 - 300);
    const bpf = bpfSampleStats(before);
    const sampledAt = performance.now();
    const r = await pending;
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    delay.disable();
    console.log(JSON.stringify({
      run,
      seconds,
      samples: r.samples,
      processes: r.processes.length,
      distinctStacks: r.folded.length,
      stacksMapSize: stacks ?? 16384,
      lost: r.lost,
      lostStacksPercent: +((100 * (r.lost.kernelStacks + r.lost.userStacks)) / Math.max(1, r.samplesSeen)).toFixed(1),
      processCpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(3),
      processUserS: +(cpu.user / 1e6).toFixed(3),
      processSysS: +(cpu.system / 1e6).toFixed(3),
      symbolizeJobCpuMs: +r.symbolization.cpuMs.toFixed(1),
      elfCache: { hits: r.symbolization.elfCacheHits, misses: r.symbolization.elfCacheMisses },
      afterSamplingMs: Math.round(wallMs - seconds * 1000),
      bpfRunCnt: bpf?.runCnt,
      bpfRunTimeMs: bpf === undefined ? undefined : +(bpf.runTimeNs / 1e6).toFixed(2),
      bpfNsPerSample: bpf === undefined || bpf.runCnt === 0 ? undefined : Math.round(bpf.runTimeNs / bpf.runCnt),
      bpfMeasuredAtMs: Math.round(sampledAt - t0),
      eventLoopDelayMaxMs: +(delay.max / 1e6).toFixed(1),
      eventLoopDelayP99Ms: +(delay.percentile(99) / 1e6).toFixed(1),
    }));
  }
} finally {
  stats.close();
  await closeCapturePool();
}
