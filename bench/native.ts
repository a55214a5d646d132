// Native-layer benchmark (`npm run bench:native`, as root):
//  1. cost of the cheapest tp_btf program (sched_count on sched_switch) per invocation,
//     from the kernel's own run_time_ns/run_cnt (bpf_enable_stats) during a pinned
//     context-switch workload, plus the workload's throughput with and without it;
//  2. ring-buffer delivery to JS in records/s for 'poll' (uv_poll, wakeup per batch)
//     and 'periodic' (timer + BPF_RB_NO_WAKEUP) modes, fed by sys_enter of a getppid
//     loop, with the consumer's CPU time.
// Every figure is the median of several runs. Prints the machine and the commands.
// bench/run.ts runs it through nativeBenchmark (runNative).
import { spawn } from 'node:child_process';
import { cpus, release } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfObject, enableBpfStats, type RingBuffer } from '../src/native/index.js';
import { sumPerCpuU64 } from '../src/native/layout.js';
import { SCHED_COUNT_PROGRAM } from '../src/native/bpf/sched_count.js';
import {
  SYSCALL_EVENTS_PRODUCED_MAP,
  SYSCALL_EVENTS_RING,
  syscallEventLayout,
  syscallEventsRodata,
} from '../src/native/bpf/syscall_events.js';
import { isEntry } from './lib/entry.js';
import { pipePingPong, pipeTool } from './lib/pipe.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, median, withBaseline, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const PRODUCER = ['/usr/bin/python3', '-c', 'import os\nwhile True: os.getppid()'];

export interface NativeBenchOptions {
  runs: number;
  pipeLoops: number;
  ringSeconds: number;
  /** Runs per ring-buffer mode (default: runs clamped to 3..5). */
  ringRuns?: number;
  progress?: Progress;
}

/** Every run's value (the caller takes medians). */
export interface SchedResult {
  nsPerRun: number[];
  runsPerSec: number[];
  opsWithout: number[];
  opsWith: number[];
}

function benchSchedSwitch(o: NativeBenchOptions): SchedResult {
  const pipeBench = (): number => pipePingPong({ loops: o.pipeLoops, cpu: 0 });
  const stats = enableBpfStats();
  const object = BpfObject.openBuilt('sched_count');
  try {
    const stat = (): { cnt: bigint; ns: bigint } => {
      const s = object.programStats().find((p) => p.name === SCHED_COUNT_PROGRAM);
      if (!s) throw new Error(`no stats for ${SCHED_COUNT_PROGRAM}`);
      return { cnt: s.runCount, ns: s.runTimeNs };
    };
    const nsPerRun: number[] = [];
    const runsPerSec: number[] = [];
    const opsWith: number[] = [];
    const opsWithout: number[] = [];
    // Alternate without/with in each round: the host is shared, and interleaving keeps
    // slow drifts (other jobs) from landing on one side only.
    for (let i = 0; i < o.runs; i++) {
      o.progress?.step(`sched_switch counter: run ${i + 1}/${o.runs}`);
      object.detach();
      opsWithout.push(pipeBench());
      object.attach();
      const before = stat();
      const t0 = process.hrtime.bigint();
      opsWith.push(pipeBench());
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const after = stat();
      const cnt = Number(after.cnt - before.cnt);
      nsPerRun.push(Number(after.ns - before.ns) / cnt);
      runsPerSec.push(cnt / seconds);
    }
    return { nsPerRun, runsPerSec, opsWithout, opsWith };
  } finally {
    object.close();
    stats.close();
  }
}

export interface RingResult {
  mode: string;
  delivered: number;
  produced: number;
  dropped: number;
  cpuPercent: number;
}

async function ringRun(mode: 'poll' | 'periodic', periodMs: number, ringSeconds: number): Promise<RingResult> {
  const producer = spawn(PRODUCER[0]!, PRODUCER.slice(1), { stdio: 'ignore' });
  const pid = producer.pid;
  if (pid === undefined) throw new Error('cannot start the producer');
  const exited = new Promise((resolve) => producer.once('exit', resolve));
  const object = BpfObject.openBuilt('syscall_events', { rodata: syscallEventsRodata(pid, mode === 'periodic') });
  let ring: RingBuffer | undefined;
  try {
    let records = 0;
    let checksum = 0; // decode every record and use the result, so the JS cost is real
    ring = object.openRingBuffer(
      SYSCALL_EVENTS_RING,
      (batch) => {
        for (const raw of batch) checksum += syscallEventLayout.decode(raw).syscall_nr;
        records += batch.length;
      },
      { mode, periodMs },
    );
    object.attach();
    const produced = (): number => Number(sumPerCpuU64(object.map(SYSCALL_EVENTS_PRODUCED_MAP).lookupPerCpu(Buffer.alloc(4)) ?? []));
    await sleep(300); // let the producer reach its loop
    const r0 = records;
    const p0 = produced();
    const d0 = ring.dropped;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await sleep(ringSeconds * 1000);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    const result = {
      mode: mode === 'poll' ? 'poll (uv_poll, wakeup)' : `periodic ${periodMs} ms (NO_WAKEUP)`,
      delivered: (records - r0) / seconds,
      produced: (produced() - p0) / seconds,
      dropped: (ring.dropped - d0) / seconds,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    };
    if (checksum < 0) console.log(checksum);
    return result;
  } finally {
    ring?.close();
    object.close();
    producer.kill('SIGKILL');
    await exited;
  }
}

async function benchRing(mode: 'poll' | 'periodic', periodMs: number, o: NativeBenchOptions): Promise<RingResult> {
  const runs: RingResult[] = [];
  const n = o.ringRuns ?? Math.max(3, Math.min(o.runs, 5));
  for (let i = 0; i < n; i++) {
    o.progress?.step(`ring buffer ${mode}${mode === 'periodic' ? ` ${periodMs} ms` : ''}: run ${i + 1}/${n}`);
    runs.push(await ringRun(mode, periodMs, o.ringSeconds));
  }
  return {
    mode: runs[0]!.mode,
    delivered: median(runs.map((r) => r.delivered)),
    produced: median(runs.map((r) => r.produced)),
    dropped: median(runs.map((r) => r.dropped)),
    cpuPercent: median(runs.map((r) => r.cpuPercent)),
  };
}

export interface NativeBenchResult {
  sched: SchedResult;
  ring: RingResult[];
  tool: string;
}

export async function runNative(o: NativeBenchOptions): Promise<NativeBenchResult> {
  const sched = benchSchedSwitch(o);
  const ring = [await benchRing('poll', 20, o), await benchRing('periodic', 20, o), await benchRing('periodic', 5, o)];
  return { sched, ring, tool: pipeTool() };
}

/** The native-layer benchmark for bench/run.ts. */
export const nativeBenchmark: Benchmark = {
  name: 'native',
  title: 'Native layer: cheapest tp_btf program per invocation; ring-buffer delivery to JS',
  async run(options) {
    const o: NativeBenchOptions = { runs: options.runs, pipeLoops: options.quick ? 50_000 : 200_000, ringSeconds: options.quick ? 1 : 2, ...(options.quick ? { ringRuns: 2 } : {}), progress: options.progress };
    const r = await runNative(o);
    const figures: Figure[] = [
      figure('sched_count (tp_btf/sched_switch) ns per invocation', 'ns', r.sched.nsPerRun),
      figure('pipe round trips/s without the program', 'ops/s', r.sched.opsWithout),
      withBaseline(figure('pipe round trips/s with the program (stats on)', 'ops/s', r.sched.opsWith), 'without', r.sched.opsWithout),
    ];
    for (const ring of r.ring) {
      figures.push(figure(`ring buffer ${ring.mode}: delivered`, 'records/s', [ring.delivered], { note: `produced ${fmt(ring.produced)}/s, dropped ${fmt(ring.dropped)}/s, consumer CPU ${fmt(ring.cpuPercent, 1)} % (${fmt((ring.cpuPercent / 100 / ring.delivered) * 1e6, 2)} µs/record); each value the median of ${o.ringRuns ?? Math.max(3, Math.min(o.runs, 5))} runs` }));
    }
    return {
      figures,
      notes: [`Workload for the program cost: ${r.tool}, ${o.pipeLoops} round trips on CPU 0; cost = Δrun_time_ns / Δrun_cnt with bpf_enable_stats. Ring-buffer producer: a python getppid loop, ${o.ringSeconds} s per run, consumer decodes every record.`],
    };
  },
};

async function main(): Promise<void> {
  const o: NativeBenchOptions = {
    runs: Number(process.env.BENCH_RUNS ?? 5),
    pipeLoops: Number(process.env.BENCH_PIPE_LOOPS ?? 200_000),
    ringSeconds: Number(process.env.BENCH_RING_SECONDS ?? 2),
    progress: stderrProgress('native:'),
  };
  console.log(`# autotracer native benchmark`);
  console.log(`machine: nproc=${cpus().length} (${cpus()[0]?.model ?? '?'}), kernel ${release()}, node ${process.version}`);
  console.log(`runs per figure: ${o.runs} (median)\n`);
  const { sched, ring: rows, tool } = await runNative(o);
  const s = { nsPerRun: median(sched.nsPerRun), runsPerSec: median(sched.runsPerSec), opsWithout: median(sched.opsWithout), opsWith: median(sched.opsWith) };

  console.log(`## sched_switch counter (tp_btf) cost per invocation`);
  console.log(`workload: taskset -c 0 ${tool} (${o.pipeLoops} loops); cost = Δrun_time_ns / Δrun_cnt with bpf_enable_stats`);
  console.log('| ns per invocation | invocations/s | pipe ops/s without | pipe ops/s with | throughput change |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| ${fmt(s.nsPerRun, 1)} | ${fmt(s.runsPerSec)} | ${fmt(s.opsWithout)} | ${fmt(s.opsWith)} | ${fmt(((s.opsWith - s.opsWithout) / s.opsWithout) * 100, 1)} % |\n`,
  );

  console.log(`## ring buffer delivery to JS (syscall_events: tp_btf/sys_enter of one process, 16-byte records)`);
  console.log(`producer: ${PRODUCER.join(' ').replace('\n', '; ')}; ${o.ringSeconds} s window per run; consumer decodes every record`);
  console.log('| mode | delivered rec/s | produced rec/s | dropped rec/s | consumer CPU % | consumer CPU µs/record |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    // CPU per record: the consumer's whole-process CPU time (user+sys) over records delivered.
    const usPerRecord = (r.cpuPercent / 100 / r.delivered) * 1e6;
    console.log(`| ${r.mode} | ${fmt(r.delivered)} | ${fmt(r.produced)} | ${fmt(r.dropped)} | ${fmt(r.cpuPercent, 1)} | ${fmt(usPerRecord, 2)} |`);
  }
  console.log('\nproduced ≈ delivered + dropped (± what sits in the ring at the window edges).');
  console.log('A producer faster than the consumer fills the ring: drops are counted in events_drops, never silent.');
}

if (isEntry(import.meta.url)) await main();
