// Per-thread readings from procfs. Every reader returns undefined when the thread has
// exited meanwhile (a race every scan of live tasks must expect), never throws for that.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface TaskStat {
  tid: number;
  comm: string;
  /** The one-letter state of /proc/<tid>/stat: R S D T t Z X I (P, W, K on old kernels). */
  state: string;
  /** CPU it last ran on (field 39), undefined on a short line. */
  cpu?: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // ENOENT/ESRCH: the task is gone
  }
}

/** /proc/<tid>/stat: "tid (comm) S ..." — comm may hold spaces and parentheses, so split at the LAST ')'. */
export function parseStat(text: string): TaskStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const tid = Number(text.slice(0, open).trim());
  const fields = text.slice(close + 2).split(' '); // fields[0] is field 3 (state)
  const state = fields[0] ?? '';
  if (!Number.isInteger(tid) || state.length !== 1) return undefined;
  const cpu = Number(fields[36]);
  return { tid, comm: text.slice(open + 1, close), state, ...(Number.isInteger(cpu) ? { cpu } : {}) };
}

export function readTaskStat(procRoot: string, tid: number): TaskStat | undefined {
  const text = readText(`${procRoot}/${tid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

export function readWchan(procRoot: string, tid: number): string | undefined {
  const text = readText(`${procRoot}/${tid}/wchan`);
  return text === undefined ? undefined : text.trim();
}

/** /proc/<tid>/stack as frame names ("[<0>] wait_for_completion_state+0x1/0x2" → "wait_for_completion_state+0x1/0x2"). */
export function readKernelStack(procRoot: string, tid: number): string[] | undefined {
  const text = readText(`${procRoot}/${tid}/stack`);
  if (text === undefined) return undefined;
  return text
    .split('\n')
    .map((l) => l.replace(/^\[<[0-9a-fx]+>\]\s*/, '').trim())
    .filter((l) => l !== '');
}

const execStartPattern = /^se\.exec_start\s*:\s*([0-9.]+)/m;

/**
 * se.exec_start of /proc/<tid>/sched, in ms of its CPU's runqueue task clock: when the task
 * last ran (it is updated while the task runs, so for a sleeper it is when it went to sleep).
 */
export function readExecStartMs(procRoot: string, tid: number): number | undefined {
  const text = readText(`${procRoot}/${tid}/sched`);
  if (text === undefined) return undefined;
  const m = execStartPattern.exec(text);
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
}

/**
 * "Now" on each CPU's runqueue task clock. The clocks differ between CPUs: clock_task leaves
 * out steal time (PARAVIRT_TIME_ACCOUNTING) and IRQ time, per CPU — measured here, CPU 1 ran
 * ~1 s behind CPU 0 — so a task's exec_start must be compared with its own CPU's clock.
 * A process pinned to each CPU (taskset) reads its own exec_start, which is "now" there to
 * within a scheduler tick. One short shell per capture; CPUs it cannot read are absent.
 */
export function readCpuClocksMs(cpus: readonly number[]): Map<number, number> {
  const clocks = new Map<number, number>();
  if (cpus.length === 0) return clocks;
  const script = `for c in ${cpus.join(' ')}; do printf '%s ' "$c"; taskset -c "$c" cat /proc/self/sched 2>/dev/null | grep '^se.exec_start' || echo; done`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return clocks;
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+) se\.exec_start\s*:\s*([0-9.]+)/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) clocks.set(Number(m[1]), Number(m[2]));
  }
  return clocks;
}

/** Online CPU ids from <sysRoot>/devices/system/cpu/online ("0-3,8"). */
export function onlineCpus(sysRoot = '/sys'): number[] {
  const text = readText(`${sysRoot}/devices/system/cpu/online`)?.trim() ?? '';
  const cpus: number[] = [];
  for (const part of text.split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/** Every thread id on the host: /proc/<pid>/task/<tid>. */
export function listHostTids(procRoot: string): number[] {
  const tids: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync(procRoot);
  } catch {
    return tids;
  }
  for (const p of pids) {
    if (!/^\d+$/.test(p)) continue;
    try {
      for (const t of readdirSync(`${procRoot}/${p}/task`)) tids.push(Number(t));
    } catch {
      /* exited */
    }
  }
  return tids;
}
