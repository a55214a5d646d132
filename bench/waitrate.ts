// waitrate overhead: a context-switch-heavy workload (perf bench sched pipe, pinned to one
// CPU, run inside a test cgroup so both pipe tasks are tracked victims: the expensive path)
// without BPF, with the always-on counters, and with counters + the capture program,
// alternating modes in each round. Prints median ops/s, slowdown, and ns per BPF
// invocation per program (bpf_enable_stats run_time_ns / run_cnt).
//   node dist-<x>/bench/waitrate.js   (env BENCH_RUNS=5, BENCH_PIPE_LOOPS=200000)
// Also measures pipe tasks left in the host (root) cgroup: not victims, the cheap path.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BpfObject, enableBpfStats, type ProgramStats } from '../src/native/index.js';
import { waitrateRodata, WAITRATE_OBJECT } from '../src/native/bpf/waitrate.js';
import { waitrateCaptureRodata, WAITRATE_CAPTURE_OBJECT } from '../src/native/bpf/waitrate_capture.js';
import { createTestCgroup, removeTestCgroup } from '../test/support/host.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PIPE_LOOPS = Number(process.env.BENCH_PIPE_LOOPS ?? 200_000);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One pinned pipe run inside `cgroupDir` (v2; undefined = stay in this process's cgroup, the host's); returns ops/s. */
function pipeBench(cgroupDir: string | undefined): number {
  const move = cgroupDir === undefined ? '' : `echo $$ > ${join(cgroupDir, 'cgroup.procs')} && `;
  const script = `${move}exec taskset -c 0 perf bench sched pipe -l ${PIPE_LOOPS}`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`perf bench failed: ${r.stderr || r.error?.message}`);
  const m = /([\d,]+)\s+ops\/sec/.exec(r.stdout);
  if (!m) throw new Error(`cannot parse perf bench output:\n${r.stdout}`);
  return Number(m[1]!.replace(/,/g, ''));
}

type Mode = 'none' | 'counters' | 'counters+capture' | 'host: none' | 'host: counters';

function setMode(mode: Mode, counters: BpfObject, capture: BpfObject): void {
  counters.detach();
  capture.detach();
  if (mode === 'counters' || mode === 'counters+capture' || mode === 'host: counters') counters.attach();
  if (mode === 'counters+capture') capture.attach();
}

async function main(): Promise<void> {
  console.log(`waitrate bench: taskset -c 0 perf bench sched pipe -l ${PIPE_LOOPS} in a test cgroup; ${RUNS} rounds, modes alternating; medians`);
  console.log('throughput runs with BPF run-time stats OFF (they add two clock reads per invocation); ns/invocation runs with them ON\n');
  const cg = createTestCgroup('wr-bench');
  const counters = BpfObject.openBuilt(WAITRATE_OBJECT, { rodata: waitrateRodata() });
  const capture = BpfObject.openBuilt(WAITRATE_CAPTURE_OBJECT, { rodata: waitrateCaptureRodata({ targetCgroup: cg.id }) });
  const modes: Mode[] = ['none', 'counters', 'counters+capture', 'host: none', 'host: counters'];
  const ops: Record<Mode, number[]> = { none: [], counters: [], 'counters+capture': [], 'host: none': [], 'host: counters': [] };
  const where = (mode: Mode): string | undefined => (mode.startsWith('host') ? undefined : cg.v2Path);
  const perProgram = new Map<string, number[]>();
  const snapshot = (): Map<string, ProgramStats> => new Map([...counters.programStats(), ...capture.programStats()].map((p) => [p.name, p]));
  try {
    for (let round = 0; round < RUNS; round++) {
      // Rotate the order each round so no mode always runs first after a detach.
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(round + i) % modes.length]!;
        setMode(mode, counters, capture);
        ops[mode].push(pipeBench(where(mode)));
      }
    }
    const stats = enableBpfStats();
    try {
      for (let round = 0; round < RUNS; round++) {
        for (const mode of ['counters', 'counters+capture', 'host: counters'] as const) {
          setMode(mode, counters, capture);
          const before = snapshot();
          pipeBench(where(mode));
          const after = snapshot();
          for (const [name, a] of after) {
            const b = before.get(name);
            const cnt = Number(a.runCount - (b?.runCount ?? 0n));
            if (cnt < 1000) continue; // not attached in this mode (or too few runs to mean anything)
            const key = `${mode === 'counters+capture' ? 'tracked, with capture' : mode === 'counters' ? 'tracked, counters only' : 'host tasks (untracked)'}: ${name}`;
            perProgram.set(key, [...(perProgram.get(key) ?? []), Number(a.runTimeNs - (b?.runTimeNs ?? 0n)) / cnt]);
          }
        }
      }
    } finally {
      stats.close();
    }
  } finally {
    counters.close();
    capture.close();
    await removeTestCgroup(cg);
  }
  console.log('| mode (pipe tasks in a test cgroup = tracked victims; host = root cgroup) | median ops/s | slowdown vs its none | runs (ops/s) |');
  console.log('|---|---|---|---|');
  for (const mode of modes) {
    const base = median(mode.startsWith('host') ? ops['host: none'] : ops.none);
    const m = median(ops[mode]);
    console.log(`| ${mode} | ${fmt(m)} | ${mode.endsWith('none') ? '–' : `${fmt((100 * (base - m)) / base, 1)} %`} | ${ops[mode].map((x) => fmt(x)).join(', ')} |`);
  }
  console.log('\n| program | median ns per invocation |');
  console.log('|---|---|');
  for (const [name, xs] of [...perProgram].sort()) console.log(`| ${name} | ${fmt(median(xs), 0)} |`);
}

await main();
