// What the running agent costs on this host, measured over a window: per actor its CPU, the
// memory of its process, and per BPF program ns per invocation × invocations per second
// (= share of one CPU). BPF run-time stats are host-wide (every program on the host is timed
// while any handle is open), so they are switched on for the window only and the handle is
// closed after: the kernel is back to what it was (on only if someone else holds stats).
// docs/cost.md tells how to read the figures.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseStatus, readProcFile } from '../procfs/index.js';
import type { AgentStatus } from '../supervisor/status.js';
import { CostError } from './errors.js';
import { bpfStatsCounting, programCountersOf, type ProgramCounters } from './fdinfo.js';

export const MIN_WINDOW_SECONDS = 1;
export const MAX_WINDOW_SECONDS = 300;
/** How long the programs are watched before and after the window to tell whether stats count. */
const STATS_PROBE_MS = 250;

export interface CostSource {
  status(): AgentStatus;
}

export interface ProgramCost {
  object: string;
  program: string;
  id: number;
  invocationsPerSecond: number;
  /** null when it did not run in the window. */
  nsPerInvocation: number | null;
  /** Percent of one CPU: ns per invocation × invocations per second / 1e7. */
  cpuPercent: number;
}

export interface ActorCost {
  name: string;
  kind: 'tracer' | 'storage';
  state: string;
  isolation: string;
  pid: number | null;
  /** Its thread's or process's CPU over the window, percent of one CPU. */
  cpuPercent: number;
  /** RSS of its own process (process isolation); null for a thread (shares the agent's). */
  rssBytes: number | null;
  programs: ProgramCost[];
  /** Sum of its programs' cpuPercent (kernel time spent in them, on the traced tasks' CPUs). */
  bpfCpuPercent: number;
}

export interface CostReport {
  windowSeconds: number;
  startedAt: string;
  agent: { pid: number; rssBytes: number | null; cpuPercent: number };
  actors: ActorCost[];
  /** Programs the agent's processes hold that no actor has reported yet (opened < one metrics tick ago). */
  unattributed: ProgramCost[];
  bpfStats: {
    /** Stats were already counting before the window (another holder, a tracer's bpfStats: true, the sysctl). */
    wereOn: boolean;
    /** Still counting after the window closed our handle: only when someone else holds them. */
    onAfter: boolean;
  };
}

export interface MeasureDeps {
  /** bpf_enable_stats(BPF_STATS_RUN_TIME) for the window (the native addon in the agent). */
  enableStats(): { close(): void };
  sleep?(ms: number): Promise<unknown>;
}

let running = false;

export function checkWindow(seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < MIN_WINDOW_SECONDS || seconds > MAX_WINDOW_SECONDS) {
    throw new CostError('COST_BAD_WINDOW', `seconds: expected ${MIN_WINDOW_SECONDS}..${MAX_WINDOW_SECONDS}, got ${seconds}`);
  }
}

/** null when the process has exited (or is a kernel thread). */
function rssOf(pid: number): number | null {
  const text = readProcFile(`/proc/${pid}/status`);
  return text === undefined ? null : (parseStatus(text)?.rssBytes ?? null);
}

interface Snapshot {
  at: bigint;
  agentCpuUs: number;
  actorCpu: Map<string, number>;
  programs: Map<number, ProgramCounters>;
}

function pidsOf(status: AgentStatus): number[] {
  return [...new Set([process.pid, ...status.actors.map((a) => a.pid).filter((p): p is number => p !== undefined)])];
}

/** Every BPF program the agent's processes (main + process-isolated actors) hold. */
function agentPrograms(status: AgentStatus): Map<number, ProgramCounters> {
  const programs = new Map<number, ProgramCounters>();
  for (const pid of pidsOf(status)) for (const [id, c] of programCountersOf(pid)) programs.set(id, c);
  return programs;
}

function snapshot(source: CostSource): Snapshot {
  const status = source.status();
  const programs = agentPrograms(status);
  const cpu = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    agentCpuUs: cpu.user + cpu.system,
    actorCpu: new Map(status.actors.map((a) => [`${a.kind}:${a.name}`, a.cpuSeconds])),
    programs,
  };
}

function programCost(object: string, program: string, id: number, before: Snapshot, after: Snapshot, seconds: number): ProgramCost {
  const a = after.programs.get(id);
  const b = before.programs.get(id);
  const runs = a !== undefined && b !== undefined ? Math.max(0, a.runCount - b.runCount) : 0;
  const ns = a !== undefined && b !== undefined ? Math.max(0, a.runTimeNs - b.runTimeNs) : 0;
  return {
    object,
    program,
    id,
    invocationsPerSecond: runs / seconds,
    nsPerInvocation: runs > 0 ? ns / runs : null,
    cpuPercent: (100 * ns) / (seconds * 1e9),
  };
}

/** One measurement window (one at a time per process). */
export async function measureCost(source: CostSource, seconds: number, deps: MeasureDeps): Promise<CostReport> {
  checkWindow(seconds);
  if (running) throw new CostError('COST_BUSY', 'a cost measurement is already running: one window at a time');
  running = true;
  try {
    return await measureWindow(source, seconds, deps.enableStats, deps.sleep ?? sleep);
  } finally {
    running = false;
  }
}

async function measureWindow(source: CostSource, seconds: number, enableStats: () => { close(): void }, pause: (ms: number) => Promise<unknown>): Promise<CostReport> {
  const startedAt = new Date().toISOString();
  const programsNow = (): Map<number, ProgramCounters> => agentPrograms(source.status());
  const wereOn = await bpfStatsCounting(programsNow, STATS_PROBE_MS, pause);
  let before: Snapshot;
  let after: Snapshot;
  const stats = enableStats();
  try {
    before = snapshot(source);
    await pause(seconds * 1000);
    after = snapshot(source);
  } finally {
    stats.close();
  }
  const window = Number(after.at - before.at) / 1e9;
  const status = source.status();
  const named = new Set<number>();
  const actors: ActorCost[] = status.actors.map((a) => {
    const key = `${a.kind}:${a.name}`;
    const cpu = Math.max(0, (after.actorCpu.get(key) ?? 0) - (before.actorCpu.get(key) ?? 0));
    const programs = a.bpfPrograms
      .filter((p) => p.id !== undefined && after.programs.has(p.id))
      .map((p) => {
        named.add(p.id!);
        return programCost(p.object, p.program, p.id!, before, after, window);
      });
    return {
      name: a.name,
      kind: a.kind,
      state: a.state,
      isolation: a.isolation,
      pid: a.pid ?? null,
      cpuPercent: (100 * cpu) / window,
      rssBytes: a.isolation === 'process' && a.pid !== undefined ? rssOf(a.pid) : null,
      programs,
      bpfCpuPercent: programs.reduce((s, p) => s + p.cpuPercent, 0),
    };
  });
  const unattributed = [...after.programs.keys()].filter((id) => !named.has(id)).map((id) => programCost('?', `#${id}`, id, before, after, window));
  return {
    windowSeconds: window,
    startedAt,
    agent: { pid: process.pid, rssBytes: rssOf(process.pid), cpuPercent: (100 * (after.agentCpuUs - before.agentCpuUs)) / 1e6 / window },
    actors,
    unattributed,
    bpfStats: { wereOn, onAfter: await bpfStatsCounting(programsNow, STATS_PROBE_MS, pause) },
  };
}
