// waitrate overhead: a context-switch-heavy workload (perf bench sched pipe, pinned to one
// CPU, run inside a test cgroup so both pipe tasks are tracked victims: the expensive path)
// without BPF, with the always-on counters, and with counters + the capture program,
// alternating modes in each round. Prints median ops/s, slowdown, and ns per BPF
// invocation per program (bpf_enable_stats run_time_ns / run_cnt).
//   node dist-<x>/bench/waitrate.js   (env BENCH_RUNS=5, BENCH_PIPE_LOOPS=200000)
// Also measures pipe tasks left in the host (root) cgroup: not victims, the cheap path.
// bench/run.ts runs it through waitrateBenchmark (runWaitrate).
import { BpfObject, enableBpfStats, type ProgramStats } from '../src/native/index.js';
import { waitrateRodata, WAITRATE_OBJECT } from '../src/native/bpf/waitrate.js';
import { waitrateCaptureRodata, WAITRATE_CAPTURE_OBJECT } from '../src/native/bpf/waitrate_capture.js';
import { createTestCgroup, removeTestCgroup } from '../test/support/host.js';
import { isEntry } from './lib/entry.js';
import { installSignalCleanup, onCleanup } from './lib/cleanup.js';
import { pipeBestOf, pipePingPong, pipeTool } from './lib/pipe.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, median, withBaseline, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';
import { SCHED_FLOOR_OBJECT, SCHED_FLOOR_PROGRAMS } from '../src/native/bpf/sched_floor.js';

export type Mode = 'none' | 'floor' | 'counters' | 'counters+capture' | 'host: none' | 'host: counters';

/** The empty programs on the hooks the counters use (sched_switch, sched_migrate_task): the floor. */
const FLOOR_PROGRAMS = [SCHED_FLOOR_PROGRAMS.sched_switch, SCHED_FLOOR_PROGRAMS.sched_migrate_task];

function setMode(mode: Mode, counters: BpfObject, capture: BpfObject, floor: BpfObject): void {
  counters.detach();
  capture.detach();
  floor.detach();
  if (mode === 'floor') floor.attach(FLOOR_PROGRAMS);
  if (mode === 'counters' || mode === 'counters+capture' || mode === 'host: counters') counters.attach();
  if (mode === 'counters+capture') capture.attach();
}

export interface WaitrateBenchOptions {
  runs: number;
  loops: number;
  /** Pipe runs per mode per round; the round's figure for the mode is the best of them (lib/pipe.ts). */
  perMode: number;
  progress?: Progress;
}

export interface WaitrateBenchResult {
  ops: Record<Mode, number[]>;
  /** "<case>: <program>" → ns per invocation, one value per round. */
  perProgram: Map<string, number[]>;
  tool: string;
}

export const WAITRATE_MODES: readonly Mode[] = ['none', 'floor', 'counters', 'counters+capture', 'host: none', 'host: counters'];

export async function runWaitrate(o: WaitrateBenchOptions): Promise<WaitrateBenchResult> {
  const cg = createTestCgroup('wr-bench');
  const dropCgroup = onCleanup('test cgroup wr-bench', () => removeTestCgroup(cg));
  let counters: BpfObject | undefined;
  let capture: BpfObject | undefined;
  let floor: BpfObject | undefined;
  const modes = WAITRATE_MODES;
  const ops: Record<Mode, number[]> = { none: [], floor: [], counters: [], 'counters+capture': [], 'host: none': [], 'host: counters': [] };
  const where = (mode: Mode): string | undefined => (mode.startsWith('host') ? undefined : cg.v2Path);
  const perProgram = new Map<string, number[]>();
  try {
    counters = BpfObject.openBuilt(WAITRATE_OBJECT, { rodata: waitrateRodata() });
    capture = BpfObject.openBuilt(WAITRATE_CAPTURE_OBJECT, { rodata: waitrateCaptureRodata({ targetCgroup: cg.id }) });
    floor = BpfObject.openBuilt(SCHED_FLOOR_OBJECT);
    const c = counters;
    const k = capture;
    const f = floor;
    const snapshot = (): Map<string, ProgramStats> => new Map([...c.programStats(), ...k.programStats(), ...f.programStats()].map((p) => [p.name, p]));
    for (let round = 0; round < o.runs; round++) {
      o.progress?.step(`throughput round ${round + 1}/${o.runs} (${modes.length} modes, best of ${o.perMode} runs of ${o.loops} round trips each)`);
      // Rotate the order each round so no mode always runs first after a detach.
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(round + i) % modes.length]!;
        setMode(mode, c, k, f);
        ops[mode].push(pipeBestOf(o.perMode, { loops: o.loops, cgroupDir: where(mode) }));
      }
    }
    const stats = enableBpfStats();
    try {
      for (let round = 0; round < o.runs; round++) {
        o.progress?.step(`BPF run-time round ${round + 1}/${o.runs}`);
        for (const mode of ['floor', 'counters', 'counters+capture', 'host: counters'] as const) {
          setMode(mode, c, k, f);
          const before = snapshot();
          pipePingPong({ loops: o.loops, cgroupDir: where(mode) });
          const after = snapshot();
          for (const [name, a] of after) {
            const b = before.get(name);
            const cnt = Number(a.runCount - (b?.runCount ?? 0n));
            if (cnt < 1000) continue; // not attached in this mode (or too few runs to mean anything)
            const key = `${mode === 'counters+capture' ? 'tracked, with capture' : mode === 'counters' ? 'tracked, counters only' : mode === 'floor' ? 'tracked, empty programs' : 'host tasks (untracked)'}: ${name}`;
            perProgram.set(key, [...(perProgram.get(key) ?? []), Number(a.runTimeNs - (b?.runTimeNs ?? 0n)) / cnt]);
          }
        }
      }
    } finally {
      stats.close();
    }
  } finally {
    counters?.close();
    capture?.close();
    floor?.close();
    await dropCgroup();
  }
  return { ops, perProgram, tool: pipeTool() };
}

/** The waitrate hot-path benchmark for bench/run.ts. */
export const waitrateBenchmark: Benchmark = {
  name: 'waitrate',
  title: 'waitrate hot path: pipe ping-pong with its BPF programs attached vs not',
  async run(options) {
    const loops = 50_000;
    const perMode = options.quick ? 3 : 9;
    const r = await runWaitrate({ runs: options.runs, loops, perMode, progress: options.progress });
    const figures: Figure[] = [];
    for (const mode of WAITRATE_MODES) {
      const baseName: Mode = mode.startsWith('host') ? 'host: none' : 'none';
      const f = figure(`pipe round trips/s, ${mode}`, 'ops/s', r.ops[mode], mode.endsWith('none') || mode === 'floor' ? {} : { target: { on: 'slowdown %', op: '<=', value: 3 } });
      figures.push(mode.endsWith('none') ? f : withBaseline(f, `pipe round trips/s, ${baseName}`, r.ops[baseName]));
    }
    figures.push(withBaseline(figure('pipe round trips/s, counters (vs empty programs)', 'ops/s', r.ops.counters), 'pipe round trips/s, floor', r.ops.floor));
    for (const [name, xs] of [...r.perProgram].sort()) {
      figures.push(figure(`ns per invocation, ${name}`, 'ns', xs, name.startsWith('tracked, counters only') ? { target: { on: 'value', op: '<=', value: 150 } } : {}));
    }
    // What on_switch adds over an empty program on the same hook, round by round (the stats'
    // own clock reads and the tracepoint dispatch are in both and cancel out).
    const onSwitch = r.perProgram.get('tracked, counters only: on_switch') ?? [];
    const empty = r.perProgram.get(`tracked, empty programs: ${SCHED_FLOOR_PROGRAMS.sched_switch}`) ?? [];
    if (onSwitch.length > 0 && onSwitch.length === empty.length) {
      figures.push(figure('ns per invocation, tracked: on_switch minus the empty program', 'ns', onSwitch.map((x, i) => x - empty[i]!)));
    }
    return {
      figures,
      notes: [
        `Workload: ${r.tool}, ${loops} round trips pinned to CPU 0, in a test cgroup (both tasks are tracked victims: the expensive path) or in the host cgroup (untracked: the cheap path). Modes rotate in each round; a mode's throughput in a round is the best of ${perMode} runs (runs are bimodal on this VM; interference only slows a run, a per-switch cost slows every run); each figure is the median over rounds. Throughput runs with BPF run-time stats OFF, ns/invocation runs with them ON (bpf_enable_stats adds two clock reads per invocation).`,
        '"floor" = empty programs on the same hooks (sched_floor.bpf.c: sched_switch, sched_migrate_task): what any tp_btf program there costs (dispatch; with stats on, the timing clock reads too).',
        'waitrate is opt-in (not in the default tracer set), so the agent benchmarks below do not include it.',
      ],
    };
  },
};

async function main(): Promise<void> {
  const RUNS = Number(process.env.BENCH_RUNS ?? 5);
  const PIPE_LOOPS = Number(process.env.BENCH_PIPE_LOOPS ?? 50_000);
  const PER_MODE = Number(process.env.BENCH_PER_MODE ?? 9);
  console.log(`waitrate bench: taskset -c 0 perf bench sched pipe -l ${PIPE_LOOPS} in a test cgroup; ${RUNS} rounds, modes rotating, best of ${PER_MODE} runs per mode and round; medians over rounds`);
  console.log('throughput runs with BPF run-time stats OFF (they add two clock reads per invocation); ns/invocation runs with them ON\n');
  const { ops, perProgram } = await runWaitrate({ runs: RUNS, loops: PIPE_LOOPS, perMode: PER_MODE, progress: stderrProgress('waitrate:') });
  console.log('| mode (pipe tasks in a test cgroup = tracked victims; host = root cgroup) | median ops/s | slowdown vs its none | runs (ops/s) |');
  console.log('|---|---|---|---|');
  for (const mode of WAITRATE_MODES) {
    const base = median(mode.startsWith('host') ? ops['host: none'] : ops.none);
    const m = median(ops[mode]);
    console.log(`| ${mode} | ${fmt(m)} | ${mode.endsWith('none') ? '–' : `${fmt((100 * (base - m)) / base, 1)} %`} | ${ops[mode].map((x) => fmt(x)).join(', ')} |`);
  }
  console.log('\n| program | median ns per invocation |');
  console.log('|---|---|');
  for (const [name, xs] of [...perProgram].sort()) console.log(`| ${name} | ${fmt(median(xs), 0)} |`);
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
