// The tools a user would run instead, measured side by side in one run (issue 16.2):
//  (a) a bpftrace run-queue latency script (the classic runqlat shape on sched_wakeup /
//      sched_wakeup_new / sched_switch) vs waitrate's counters, on the same pinned pipe
//      ping-pong in a test cgroup: ns of BPF per context switch and throughput slowdown;
//  (b) `perf record -F 99 -a -g` vs the agent's 99 Hz host-wide capture (src/capture),
//      over the same 10 s CPU workload: CPU time of the profiler and samples per second;
//  (c) prometheus-node-exporter idle (binary run directly, never the service) vs the agent
//      idle (every default tracer): CPU % of one core and RSS, from /proc.
//   node dist/bench/peers.js   (env BENCH_RUNS=5, BENCH_QUICK=1)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureProfile } from '../src/capture/capture-profile.js';
import { programCountersOf } from '../src/cost/fdinfo.js';
import { waitrateRodata, WAITRATE_OBJECT } from '../src/native/bpf/waitrate.js';
import { BpfObject, enableBpfStats } from '../src/native/index.js';
import { createTestCgroup, removeTestCgroup } from '../test/support/host.js';
import { timedOut, toolFailed } from './errors.js';
import { startAgent } from './lib/agent.js';
import { installSignalCleanup, onCleanup } from './lib/cleanup.js';
import { isEntry } from './lib/entry.js';
import { pipeBestOf, pipePingPong } from './lib/pipe.js';
import { cpuPercentBetween, sampleTree } from './lib/procfs.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, median, withBaseline, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

/** runqlat's shape (bcc/bpftrace tools): enqueue time per pid at wake-up or preemption, histogram at switch-in. */
export const RUNQLAT_BT = `
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @qtime[args->pid] = nsecs; }
tracepoint:sched:sched_switch {
  if (args->prev_state == 0) { @qtime[args->prev_pid] = nsecs; }
  $ns = @qtime[args->next_pid];
  if ($ns) { @usecs = hist((nsecs - $ns) / 1000); }
  delete(@qtime[args->next_pid]);
}`;

/** Context switches on the host so far (/proc/stat ctxt). */
function contextSwitches(): number {
  return Number(/^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
}

interface Bpftrace {
  pid: number;
  stop(): Promise<void>;
}

async function startBpftrace(script: string): Promise<Bpftrace> {
  const child: ChildProcess = spawn('bpftrace', ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const drop = onCleanup(`bpftrace pid ${child.pid}`, stop);
  const deadline = Date.now() + 60_000;
  while (!/Attaching \d+ probes/.test(out)) {
    if (child.exitCode !== null) throw toolFailed('bpftrace', out.trim());
    if (Date.now() > deadline) {
      await drop();
      throw timedOut('bpftrace to attach its probes', 60_000);
    }
    await sleep(50);
  }
  await sleep(300); // "Attaching" is printed before the last attach
  return { pid: child.pid!, stop: drop };
}

type RqMode = 'none' | 'waitrate' | 'bpftrace';
const RQ_MODES: readonly RqMode[] = ['none', 'waitrate', 'bpftrace'];

export interface RunqlatResult {
  ops: Record<RqMode, number[]>;
  /** BPF ns per host context switch (all of the tool's programs / ctxt delta), per round. */
  nsPerSwitch: Record<'waitrate' | 'bpftrace', number[]>;
}

export async function runRunqlatPeers(o: { runs: number; loops: number; perMode: number; progress?: Progress }): Promise<RunqlatResult> {
  const cg = createTestCgroup('peers-pipe');
  const dropCg = onCleanup('test cgroup peers-pipe', () => removeTestCgroup(cg));
  const waitrate = BpfObject.openBuilt(WAITRATE_OBJECT, { rodata: waitrateRodata() });
  const dropWr = onCleanup('waitrate object', () => waitrate.close());
  const ops: Record<RqMode, number[]> = { none: [], waitrate: [], bpftrace: [] };
  const nsPerSwitch: RunqlatResult['nsPerSwitch'] = { waitrate: [], bpftrace: [] };
  try {
    for (let round = 0; round < o.runs; round++) {
      o.progress?.step(`runqlat vs waitrate: round ${round + 1}/${o.runs}`);
      for (let i = 0; i < RQ_MODES.length; i++) {
        const mode = RQ_MODES[(round + i) % RQ_MODES.length]!;
        let bt: Bpftrace | undefined;
        if (mode === 'waitrate') waitrate.attach();
        if (mode === 'bpftrace') bt = await startBpftrace(RUNQLAT_BT);
        try {
          ops[mode].push(pipeBestOf(o.perMode, { loops: o.loops, cgroupDir: cg.v2Path }));
          if (mode !== 'none') {
            // One more run with BPF stats on: the tool's run time per host context switch.
            const stats = enableBpfStats();
            try {
              const runTime = (): number => (mode === 'waitrate' ? waitrate.programStats().reduce((s, p) => s + Number(p.runTimeNs), 0) : [...programCountersOf(bt!.pid).values()].reduce((s, c) => s + c.runTimeNs, 0));
              const ns0 = runTime();
              const sw0 = contextSwitches();
              pipePingPong({ loops: o.loops, cgroupDir: cg.v2Path });
              nsPerSwitch[mode].push((runTime() - ns0) / Math.max(1, contextSwitches() - sw0));
            } finally {
              stats.close();
            }
          }
        } finally {
          if (mode === 'waitrate') waitrate.detach();
          await bt?.stop();
        }
      }
    }
  } finally {
    await dropWr();
    await dropCg();
  }
  return { ops, nsPerSwitch };
}

export interface ProfilerResult {
  perf: { cpuPercent: number; samplesPerSecond: number };
  agent: { cpuPercent: number; samplesPerSecond: number };
}

/** A 10 s CPU workload (stress-ng, both CPUs) for the profilers to sample. */
function startCpuLoad(seconds: number): ChildProcess {
  const child = spawn('stress-ng', ['--cpu', '2', '--timeout', `${seconds}s`, '--quiet'], { stdio: 'ignore' });
  onCleanup(`stress-ng pid ${child.pid}`, () => void child.kill('SIGKILL'));
  return child;
}

export async function runProfilerPeers(seconds: number, progress?: Progress): Promise<ProfilerResult> {
  progress?.step(`perf record -F 99 -a -g for ${seconds} s under a CPU load`);
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-peers-'));
  try {
    let load = startCpuLoad(seconds + 1);
    const perf = spawn('perf', ['record', '-F', '99', '-a', '-g', '-o', join(dir, 'perf.data'), '--', 'sleep', String(seconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let perfErr = '';
    perf.stderr!.on('data', (d: Buffer) => (perfErr += d.toString()));
    const drop = onCleanup(`perf pid ${perf.pid}`, () => void perf.kill('SIGKILL'));
    // perf's own CPU, sampled until it exits (its tree: perf + sleep).
    const t0 = sampleTree(perf.pid!);
    let last = t0;
    const code = await new Promise<number | null>((resolve) => {
      const timer = setInterval(() => {
        const s = sampleTree(perf.pid!);
        if (s.processes > 0) last = s;
      }, 200);
      perf.once('exit', (c) => {
        clearInterval(timer);
        resolve(c);
      });
    });
    await drop();
    if (code !== 0) throw toolFailed('perf record', perfErr.trim());
    const samples = Number(/\((\d+) samples\)/.exec(perfErr)?.[1] ?? NaN);
    const perfCpu = cpuPercentBetween(t0, last);
    load.kill('SIGKILL');

    progress?.step(`the agent's 99 Hz host-wide capture for ${seconds} s under the same load`);
    load = startCpuLoad(seconds + 1);
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const capture = await captureProfile({ durationMs: seconds * 1000, frequency: 99 });
    const c1 = process.cpuUsage(c0);
    const wall = (performance.now() - w0) / 1000;
    load.kill('SIGKILL');
    return {
      perf: { cpuPercent: perfCpu, samplesPerSecond: samples / seconds },
      agent: { cpuPercent: ((c1.user + c1.system) / 1e6 / wall) * 100, samplesPerSecond: capture.samplesSeen / (capture.durationMs / 1000) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface IdleResult {
  nodeExporter: { cpuPercent: number; rssBytes: number };
  agent: { cpuPercent: number; rssBytes: number };
}

async function idleOf(pid: number, settleSeconds: number, windowSeconds: number): Promise<{ cpuPercent: number; rssBytes: number }> {
  await sleep(settleSeconds * 1000);
  const a = sampleTree(pid);
  const rss: number[] = [];
  for (let i = 0; i < windowSeconds; i++) {
    await sleep(1000);
    rss.push(sampleTree(pid).rss);
  }
  return { cpuPercent: cpuPercentBetween(a, sampleTree(pid)), rssBytes: median(rss) };
}

export async function runIdlePeers(o: { settleSeconds: number; windowSeconds: number; progress?: Progress }): Promise<IdleResult> {
  o.progress?.step(`prometheus-node-exporter idle: ${o.settleSeconds} s settle, ${o.windowSeconds} s window`);
  const port = await freePort();
  // The binary directly, on loopback: the Debian service is never started (scripts/setup.sh).
  const ne = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const dropNe = onCleanup(`node-exporter pid ${ne.pid}`, () => void ne.kill('SIGKILL'));
  let nodeExporter: IdleResult['nodeExporter'];
  try {
    nodeExporter = await idleOf(ne.pid!, o.settleSeconds, o.windowSeconds);
  } finally {
    await dropNe();
  }
  o.progress?.step(`the agent idle (every default tracer): ${o.settleSeconds} s settle, ${o.windowSeconds} s window`);
  const agent = await startAgent({});
  try {
    return { nodeExporter, agent: await idleOf(agent.pid, o.settleSeconds, o.windowSeconds) };
  } finally {
    await agent.stop();
  }
}

function requireTools(): void {
  for (const [tool, args] of [['bpftrace', ['--version']], ['perf', ['--version']], ['prometheus-node-exporter', ['--version']], ['stress-ng', ['--version']]] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.status !== 0) throw toolFailed(tool, `not installed or not runnable (scripts/setup.sh installs it): ${r.stderr || String(r.error)}`);
  }
}

export const peersBenchmark: Benchmark = {
  name: 'peers',
  title: 'peers in the same run: bpftrace runqlat vs waitrate, perf record vs the agent capture, node-exporter vs the agent idle',
  async run(options) {
    requireTools();
    const loops = 50_000;
    const perMode = options.quick ? 3 : 9;
    const rq = await runRunqlatPeers({ runs: options.runs, loops, perMode, progress: options.progress });
    const prof = await runProfilerPeers(10, options.progress);
    const idle = await runIdlePeers({ settleSeconds: options.quick ? 5 : 30, windowSeconds: options.quick ? 10 : 30, progress: options.progress });
    const figures: Figure[] = [
      figure('pipe round trips/s, no tracer', 'ops/s', rq.ops.none),
      withBaseline(figure('pipe round trips/s, waitrate counters', 'ops/s', rq.ops.waitrate), 'pipe round trips/s, no tracer', rq.ops.none),
      withBaseline(figure('pipe round trips/s, bpftrace runqlat', 'ops/s', rq.ops.bpftrace), 'pipe round trips/s, no tracer', rq.ops.none),
      figure('BPF ns per context switch, waitrate', 'ns', rq.nsPerSwitch.waitrate),
      figure('BPF ns per context switch, bpftrace runqlat', 'ns', rq.nsPerSwitch.bpftrace),
      figure('ns per switch ratio, waitrate / runqlat', 'ratio', rq.nsPerSwitch.waitrate.map((w, i) => w / rq.nsPerSwitch.bpftrace[i]!)),
      figure('profiler CPU, perf record -F 99 -a -g', '% of one core', [prof.perf.cpuPercent]),
      figure('profiler CPU, agent 99 Hz capture', '% of one core', [prof.agent.cpuPercent]),
      figure('samples/s, perf record', 'samples/s', [prof.perf.samplesPerSecond]),
      figure('samples/s, agent capture', 'samples/s', [prof.agent.samplesPerSecond]),
      figure('idle CPU, prometheus-node-exporter', '% of one core', [idle.nodeExporter.cpuPercent]),
      figure('idle CPU, agent (default tracers)', '% of one core', [idle.agent.cpuPercent]),
      figure('idle RSS, prometheus-node-exporter', 'MB', [idle.nodeExporter.rssBytes / 1e6]),
      figure('idle RSS, agent (default tracers)', 'MB', [idle.agent.rssBytes / 1e6]),
    ];
    return {
      figures,
      notes: [
        `(a) ${loops} round trips pinned to CPU 0 in a test cgroup (tracked victims for waitrate); modes rotate per round; best of ${perMode} runs per mode and round with BPF stats off; then one run with stats on for ns per switch = the tool's BPF run time (waitrate: programStats; bpftrace: /proc/<pid>/fdinfo of its programs) / the host's context switches (/proc/stat ctxt) over that run. runqlat's script: ${RUNQLAT_BT.replace(/\s+/g, ' ').trim()}`,
        '(b) the same 10 s `stress-ng --cpu 2` load for both; perf: CPU of its process tree from /proc, samples from its "(N samples)" line; the agent: this process\'s CPU while captureProfile() runs (sampling, stack and map reads, symbolization) and samplesSeen / duration. Kernel time spent in the sampling interrupts is in neither figure.',
        '(c) prometheus-node-exporter run directly on a loopback port, not scraped (idle); the agent with every default tracer, its process tree; CPU over the window, RSS the median of 1 s samples.',
      ],
    };
  },
};

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const quick = process.env.BENCH_QUICK === '1';
  const progress = stderrProgress('peers:');
  const out = await peersBenchmark.run({ runs, quick, progress });
  console.log('| figure | median | runs |');
  console.log('|---|---|---|');
  for (const f of out.figures) console.log(`| ${f.name} | ${fmt(f.summary.median, 2)} ${f.unit}${f.baseline !== undefined ? ` (vs ${f.baseline.name})` : ''} | ${f.runs.map((x) => fmt(x, 1)).join(', ')} |`);
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
