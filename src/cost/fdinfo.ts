// Run counters of the BPF programs a process holds, from /proc/<pid>/fdinfo: the kernel
// prints prog_id, run_cnt and run_time_ns for every bpf-prog fd. The agent's actors are
// worker threads of one process (their fds are its fds) or child processes (their own pid),
// so this reads exactly the agent's programs, at the moment asked, whatever tracer opened them.
import { readFileSync } from 'node:fs';
import { listOpenFds } from '../procfs/index.js';

export interface ProgramCounters {
  id: number;
  runCount: number;
  runTimeNs: number;
}

/** Parses one fdinfo text; undefined when it is not a BPF program's. */
export function parseProgFdinfo(text: string): ProgramCounters | undefined {
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  const id = field('prog_id');
  if (id === undefined) return undefined;
  return { id, runCount: field('run_cnt') ?? 0, runTimeNs: field('run_time_ns') ?? 0 };
}

/** Every BPF program held open by `pid`, by program id (one entry per program, not per fd). */
export function programCountersOf(pid: number): Map<number, ProgramCounters> {
  const out = new Map<number, ProgramCounters>();
  for (const { fd, target } of listOpenFds('/proc', pid)) {
    if (target !== 'anon_inode:bpf-prog') continue;
    try {
      const c = parseProgFdinfo(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (c !== undefined) out.set(c.id, c);
    } catch {
      // closed between the listing and the read
    }
  }
  return out;
}

/**
 * Whether the kernel counts BPF run time right now. The sysctl kernel.bpf_stats_enabled shows
 * only its own setting, not the bpf_enable_stats handles other processes hold, so this also
 * watches the programs in `counters` for `ms`: a run count that grows means someone counts.
 * false = not seen counting (also when none of the programs ran meanwhile).
 */
export async function bpfStatsCounting(counters: () => Map<number, ProgramCounters>, ms: number, sleep: (ms: number) => Promise<unknown>): Promise<boolean> {
  try {
    if (readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1') return true;
  } catch {
    // no sysctl: watch the counters
  }
  const before = counters();
  await sleep(ms);
  for (const [id, c] of counters()) if (c.runCount > (before.get(id)?.runCount ?? c.runCount)) return true;
  return false;
}
