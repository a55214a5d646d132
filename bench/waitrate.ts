// waitrate overhead: a context-switch-heavy workload (perf bench sched pipe, pinned to one
// CPU, run inside a test cgroup so both pipe tasks are tracked victims: the expensive path)
// without BPF, with the always-on counters, and with counters + the capture program,
// alternating modes in each round. Prints median ops/s, slowdown, and ns per BPF
// invocation per program (bpf_enable_stats run_time_ns / run_cnt).
//   node dist-<x>/bench/waitrate.js   (env BENCH_RUNS=5, BENCH_PIPE_LOOPS=200000)
// Also measures pipe tasks left in the host (root) cgroup: not victims, the cheap path.
// BENCH_WAITRATE_BEFORE=<an older build/bpf/waitrate.bpf.o> adds that object as modes of its
// own ("before: counters", "host: before"), in the same interleaved rounds: a before/after
// of the hot path on the same machine state. Issue 16.3's three per-switch figures:
// (a) ns per invocation with BPF stats on, (b) the same minus the empty program's in the same
// round (the program body), (c) the marginal cost per switch from the paired throughput
// slowdown (slowdown x the workload's ns per switch), next to the noise floor (none vs none).
// bench/run.ts runs it through waitrateBenchmark (runWaitrate).
import { loadavg } from 'node:os';
import { BpfObject, enableBpfStats, type ProgramStats } from '../src/native/index.js';
import { waitrateRodata, WAITRATE_OBJECT } from '../src/native/bpf/waitrate.js';
import { waitrateCaptureRodata, WAITRATE_CAPTURE_OBJECT } from '../src/native/bpf/waitrate_capture.js';
import { createTestCgroup, removeTestCgroup } from '../test/support/host.js';
import { isEntry } from './lib/entry.js';
import { installSignalCleanup, onCleanup } from './lib/cleanup.js';
import { pipeBestOf, pipePingPong, pipeTool } from './lib/pipe.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, median, slowdownPercent, withBaseline, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';
import { SCHED_FLOOR_OBJECT, SCHED_FLOOR_PROGRAMS } from '../src/native/bpf/sched_floor.js';

export type Mode = 'none' | 'none (again)' | 'floor' | 'counters' | 'counters+capture' | 'before: counters' | 'host: none' | 'host: counters' | 'host: before';

/** The empty programs on the hooks the counters use (sched_switch, sched_migrate_task): the floor. */
const FLOOR_PROGRAMS = [SCHED_FLOOR_PROGRAMS.sched_switch, SCHED_FLOOR_PROGRAMS.sched_migrate_task];

interface Objects {
  counters: BpfObject;
  capture: BpfObject;
  floor: BpfObject;
  /** The older waitrate object of BENCH_WAITRATE_BEFORE, if given. */
  before?: BpfObject;
}

function setMode(mode: Mode, o: Objects): void {
  o.counters.detach();
  o.capture.detach();
  o.floor.detach();
  o.before?.detach();
  if (mode === 'floor') o.floor.attach(FLOOR_PROGRAMS);
  if (mode === 'counters' || mode === 'counters+capture' || mode === 'host: counters') o.counters.attach();
  if (mode === 'counters+capture') o.capture.attach();
  if (mode === 'before: counters' || mode === 'host: before') o.before?.attach();
}

/** The mode without BPF each mode's throughput is compared with (same cgroup placement). */
export function baselineOf(mode: Mode): Mode {
  return mode.startsWith('host') ? 'host: none' : 'none';
}

/** How the ns/invocation rows name a mode. */
function caseName(mode: Mode): string {
  switch (mode) {
    case 'counters+capture':
      return 'tracked, with capture';
    case 'counters':
      return 'tracked, counters only';
    case 'before: counters':
      return 'tracked, before';
    case 'floor':
      return 'tracked, empty programs';
    case 'host: counters':
      return 'host tasks (untracked)';
    case 'host: before':
      return 'host tasks, before';
    case 'none':
    case 'none (again)':
    case 'host: none':
      return mode;
  }
}

export interface WaitrateBenchOptions {
  runs: number;
  loops: number;
  /** Pipe runs per mode per round; the round's figure for the mode is the best of them (lib/pipe.ts). */
  perMode: number;
  progress?: Progress;
  /** Path of an older waitrate.bpf.o to measure as the "before" modes (BENCH_WAITRATE_BEFORE). */
  beforeObject?: string;
}

export interface WaitrateBenchResult {
  /** Per mode, one figure per round (round r of every mode is at index r). */
  ops: Record<Mode, number[]>;
  modes: readonly Mode[];
  /** "<case>: <program>" → ns per invocation, one value per round. */
  perProgram: Map<string, number[]>;
  tool: string;
}

export const WAITRATE_MODES: readonly Mode[] = ['none', 'none (again)', 'floor', 'counters', 'counters+capture', 'host: none', 'host: counters'];
const BEFORE_MODES: readonly Mode[] = ['before: counters', 'host: before'];

export async function runWaitrate(o: WaitrateBenchOptions): Promise<WaitrateBenchResult> {
  const cg = createTestCgroup('wr-bench');
  const dropCgroup = onCleanup('test cgroup wr-bench', () => removeTestCgroup(cg));
  const modes = o.beforeObject === undefined ? WAITRATE_MODES : [...WAITRATE_MODES, ...BEFORE_MODES];
  const ops = Object.fromEntries([...WAITRATE_MODES, ...BEFORE_MODES].map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
  const where = (mode: Mode): string | undefined => (mode.startsWith('host') ? undefined : cg.v2Path);
  const perProgram = new Map<string, number[]>();
  const opened: BpfObject[] = [];
  const openTracked = (f: () => BpfObject): BpfObject => {
    const x = f();
    opened.push(x);
    return x;
  };
  try {
    const objects: Objects = {
      counters: openTracked(() => BpfObject.openBuilt(WAITRATE_OBJECT, { rodata: waitrateRodata() })),
      capture: openTracked(() => BpfObject.openBuilt(WAITRATE_CAPTURE_OBJECT, { rodata: waitrateCaptureRodata({ targetCgroup: cg.id }) })),
      floor: openTracked(() => BpfObject.openBuilt(SCHED_FLOOR_OBJECT)),
      before: o.beforeObject === undefined ? undefined : openTracked(() => BpfObject.open(o.beforeObject!, { rodata: waitrateRodata() })),
    };
    for (let round = 0; round < o.runs; round++) {
      o.progress?.step(`throughput round ${round + 1}/${o.runs} (${modes.length} modes, best of ${o.perMode} runs of ${o.loops} round trips each)`);
      // Rotate the order each round so no mode always runs first after a detach.
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(round + i) % modes.length]!;
        setMode(mode, objects);
        ops[mode].push(pipeBestOf(o.perMode, { loops: o.loops, cgroupDir: where(mode) }));
      }
    }
    setMode('none', objects);
    // Program name -> the object's programs: the "before" object has the same names as the counters.
    const snapshot = (mode: Mode): Map<string, ProgramStats> => {
      const objs = mode === 'floor' ? [objects.floor] : mode === 'before: counters' || mode === 'host: before' ? [objects.before!] : mode === 'counters+capture' ? [objects.counters, objects.capture] : [objects.counters];
      return new Map(objs.flatMap((x) => x.programStats()).map((p) => [p.name, p]));
    };
    const timed = modes.filter((m) => !m.endsWith('none') && m !== 'none (again)');
    const stats = enableBpfStats();
    try {
      for (let round = 0; round < o.runs; round++) {
        o.progress?.step(`BPF run-time round ${round + 1}/${o.runs}`);
        for (let i = 0; i < timed.length; i++) {
          const mode = timed[(round + i) % timed.length]!;
          setMode(mode, objects);
          const before = snapshot(mode);
          pipePingPong({ loops: o.loops, cgroupDir: where(mode) });
          const after = snapshot(mode);
          for (const [name, a] of after) {
            const b = before.get(name);
            const cnt = Number(a.runCount - (b?.runCount ?? 0n));
            if (cnt < 1000) continue; // not attached in this mode (or too few runs to mean anything)
            const key = `${caseName(mode)}: ${name}`;
            perProgram.set(key, [...(perProgram.get(key) ?? []), Number(a.runTimeNs - (b?.runTimeNs ?? 0n)) / cnt]);
          }
        }
      }
    } finally {
      stats.close();
    }
  } finally {
    for (const x of opened) x.close();
    await dropCgroup();
  }
  return { ops, modes, perProgram, tool: pipeTool() };
}

/** Per round: slowdown % of `mode` against its baseline measured in the same round. */
export function pairedSlowdowns(r: WaitrateBenchResult, mode: Mode, base: Mode = baselineOf(mode)): number[] {
  return r.ops[mode].map((x, i) => slowdownPercent(x, r.ops[base][i]!));
}

/**
 * Per round: what the programs add per context switch, from the throughput alone (stats
 * off): slowdown x the baseline's ns per switch (a round trip is two switches). The cost
 * every switch pays on the pinned CPU, dispatch included, without the stats' clock reads.
 */
export function marginalNsPerSwitch(r: WaitrateBenchResult, mode: Mode, base: Mode = baselineOf(mode)): number[] {
  return r.ops[mode].map((x, i) => {
    const b = r.ops[base][i]!;
    return ((b - x) / b) * (1e9 / (2 * b));
  });
}

/** (b): a program's ns per invocation minus the empty program's in the same round. */
export function minusEmpty(r: WaitrateBenchResult, key: string): number[] | undefined {
  const xs = r.perProgram.get(key);
  const empty = r.perProgram.get(`${caseName('floor')}: ${SCHED_FLOOR_PROGRAMS.sched_switch}`);
  if (xs === undefined || empty === undefined || xs.length !== empty.length) return undefined;
  return xs.map((x, i) => x - empty[i]!);
}

/** The waitrate hot-path benchmark for bench/run.ts. */
export const waitrateBenchmark: Benchmark = {
  name: 'waitrate',
  title: 'waitrate hot path: pipe ping-pong with its BPF programs attached vs not',
  async run(options) {
    const loops = 50_000;
    const perMode = options.quick ? 3 : 9;
    const r = await runWaitrate({ runs: options.runs, loops, perMode, progress: options.progress, beforeObject: process.env.BENCH_WAITRATE_BEFORE });
    const figures: Figure[] = [];
    for (const mode of r.modes) {
      const baseName = baselineOf(mode);
      const f = figure(`pipe round trips/s, ${mode}`, 'ops/s', r.ops[mode], mode === 'counters' || mode === 'host: counters' || mode === 'counters+capture' ? { target: { on: 'slowdown %', op: '<=', value: 2 } } : {});
      figures.push(mode === baseName ? f : withBaseline(f, `pipe round trips/s, ${baseName}`, r.ops[baseName]));
    }
    figures.push(withBaseline(figure('pipe round trips/s, counters (vs empty programs)', 'ops/s', r.ops.counters), 'pipe round trips/s, floor', r.ops.floor));
    figures.push(figure('noise floor: |slowdown| of none (again) vs none, per round', '%', pairedSlowdowns(r, 'none (again)').map(Math.abs), { note: 'the same measurement twice: slowdowns below this are not resolved' }));
    for (const mode of r.modes.filter((m) => m !== baselineOf(m) && m !== 'none (again)')) {
      figures.push(figure(`(c) marginal ns per switch from the paired slowdown, ${mode}`, 'ns', marginalNsPerSwitch(r, mode)));
    }
    for (const [name, xs] of [...r.perProgram].sort()) {
      figures.push(figure(`(a) ns per invocation, ${name}`, 'ns', xs, name.startsWith('tracked, counters only: on_switch') ? { target: { on: 'value', op: '<=', value: 100 } } : {}));
    }
    // What a program adds over an empty program on the same hook, round by round (the stats'
    // own clock reads and the tracepoint dispatch are in both and cancel out).
    for (const key of [...r.perProgram.keys()].filter((k) => k.endsWith(': on_switch')).sort()) {
      const body = minusEmpty(r, key);
      if (body !== undefined) figures.push(figure(`(b) ns per invocation minus the empty program, ${key}`, 'ns', body));
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
  const beforeObject = process.env.BENCH_WAITRATE_BEFORE;
  console.log(`waitrate bench: taskset -c 0 perf bench sched pipe -l ${PIPE_LOOPS} in a test cgroup; ${RUNS} rounds, modes rotating, best of ${PER_MODE} runs per mode and round; medians over rounds${beforeObject === undefined ? '' : `; "before" = ${beforeObject}`}`);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log('throughput runs with BPF run-time stats OFF (they add two clock reads per invocation); ns/invocation runs with them ON\n');
  const r = await runWaitrate({ runs: RUNS, loops: PIPE_LOOPS, perMode: PER_MODE, progress: stderrProgress('waitrate:'), beforeObject });
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  const noise = median(pairedSlowdowns(r, 'none (again)').map(Math.abs));
  console.log('| mode (pipe tasks in a test cgroup = tracked victims; host = root cgroup) | median ops/s | slowdown of the medians | median of per-round slowdowns | (c) marginal ns per switch | runs (ops/s) |');
  console.log('|---|---|---|---|---|---|');
  for (const mode of r.modes) {
    const baseMode = baselineOf(mode);
    const base = median(r.ops[baseMode]);
    const m = median(r.ops[mode]);
    const paired = mode === baseMode ? '–' : `${fmt(median(pairedSlowdowns(r, mode)), 1)} %`;
    const marginal = mode === baseMode || mode === 'none (again)' ? '–' : fmt(median(marginalNsPerSwitch(r, mode)), 0);
    console.log(`| ${mode} | ${fmt(m)} | ${mode === baseMode ? '–' : `${fmt(slowdownPercent(m, base), 1)} %`} | ${paired} | ${marginal} | ${r.ops[mode].map((x) => fmt(x)).join(', ')} |`);
  }
  console.log(`\nnoise floor (median over rounds of |none (again) vs none|): ${fmt(noise, 1)} %; the workload's ns per switch: ${fmt(1e9 / (2 * median(r.ops.none)), 0)} (tracked), ${fmt(1e9 / (2 * median(r.ops['host: none'])), 0)} (host)`);
  console.log('\n| program | (a) median ns per invocation, stats on | (b) minus the empty program, same rounds | rounds |');
  console.log('|---|---|---|---|');
  for (const [name, xs] of [...r.perProgram].sort()) {
    const body = name.endsWith(': on_switch') ? minusEmpty(r, name) : undefined;
    console.log(`| ${name} | ${fmt(median(xs), 0)} | ${body === undefined ? '–' : fmt(median(body), 0)} | ${xs.map((x) => fmt(x, 0)).join(', ')} |`);
  }
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
