// Reading a process tree's cost from OUTSIDE, through /proc: CPU time (utime+stime of each
// process, which includes all its threads — worker-thread actors are threads of the agent)
// and RSS. Children are found through /proc/<pid>/task/*/children, so process-isolated
// actors (forked children) are summed in.
import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ; Linux exposes 100 on every architecture we run on

/** utime + stime in seconds, or undefined when the process is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces and parentheses).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

export interface Rss {
  total: number;
  /** Private anonymous memory: JS heaps, native allocations. */
  anon: number;
  /** File-backed pages: the node binary, the addon, and LMDB's mapped data file. */
  file: number;
  shmem: number;
  /** Proportional set size: shared pages divided among the processes sharing them, so a tree's sum does not count the node binary once per child. */
  pss: number;
}

function pssOf(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** VmRSS and its split in bytes (/proc/<pid>/status), or undefined when the process is gone. */
export function rssOf(pid: number): Rss | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
  return { total: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem'), pss: pssOf(pid) };
}

/** The thread ids of a process ([] when it is gone). */
function tasksOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of tasksOf(pid)) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/)) if (c !== '') out.push(Number(c));
    } catch {
      /* thread ended */
    }
  }
  return out;
}

/** pid and all its descendants. */
export function processTree(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.includes(p)) continue;
    seen.push(p);
    queue.push(...childrenOf(p));
  }
  return seen;
}

export interface TreeSample {
  /** CPU seconds per pid at this instant. */
  cpu: Map<number, number>;
  /** Summed over the tree. */
  rss: number;
  rssSplit: Rss;
  processes: number;
  at: number;
}

export function sampleTree(root: number): TreeSample {
  const cpu = new Map<number, number>();
  const split: Rss = { total: 0, anon: 0, file: 0, shmem: 0, pss: 0 };
  for (const pid of processTree(root)) {
    const c = cpuSeconds(pid);
    const r = rssOf(pid);
    if (c !== undefined) cpu.set(pid, c);
    if (r !== undefined) {
      split.total += r.total;
      split.anon += r.anon;
      split.file += r.file;
      split.shmem += r.shmem;
      split.pss += r.pss;
    }
  }
  return { cpu, rss: split.total, rssSplit: split, processes: cpu.size, at: performance.now() };
}

/**
 * CPU % of one core between two samples: per pid, the growth of its CPU time (a pid that
 * appeared meanwhile counts from 0, so a restarted child's CPU is not lost; one that vanished
 * counts its last known value only, an underestimate bounded by one sample interval).
 */
export function cpuPercentBetween(a: TreeSample, b: TreeSample): number {
  let seconds = 0;
  for (const [pid, after] of b.cpu) seconds += after - (a.cpu.get(pid) ?? 0);
  return (seconds / ((b.at - a.at) / 1000)) * 100;
}

/** One thread of a process at an instant: its name, start time and CPU time in ns. */
export interface ThreadCpu {
  tid: number;
  /** The process it belongs to (a thread of `root` or of a child process). */
  pid: number;
  comm: string;
  /** Start time in clock ticks after boot (/proc/<pid>/task/<tid>/stat field 22). */
  startTicks: number;
  /** CPU time in clock ticks (utime + stime: what the agent's own ThreadCpuClock reads). */
  ticks: number;
  /** CPU time in ns: field 1 of /proc/<pid>/task/<tid>/schedstat (the scheduler's sum_exec_runtime). */
  ns: number;
}

/**
 * Every thread of a process tree with its ns-precision CPU time. utime+stime counts 10 ms
 * ticks, so a 10 s window resolves only 0.1 % of one core; schedstat's run time is exact
 * (it needs CONFIG_SCHED_INFO, not SCHEDSTATS). Threads that end between listing and
 * reading are left out.
 */
export function threadsOf(root: number): ThreadCpu[] {
  const out: ThreadCpu[] = [];
  for (const pid of processTree(root)) {
    for (const tid of tasksOf(pid)) {
      try {
        const dir = `/proc/${pid}/task/${tid}`;
        const stat = readFileSync(`${dir}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.push({
          tid: Number(tid),
          pid,
          comm: readFileSync(`${dir}/comm`, 'utf8').trim(),
          // rest[0] is field 3: utime 14, stime 15, starttime 22.
          ticks: Number(rest[11]) + Number(rest[12]),
          startTicks: Number(rest[19]),
          ns: Number(readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[0]),
        });
      } catch {
        /* thread ended */
      }
    }
  }
  return out;
}
