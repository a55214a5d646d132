// dload's own per-thread readings: when a task last ran (sched) and each CPU's "now", to
// tell how long a D task has slept. Every reader returns undefined when the thread has
// exited meanwhile. The common /proc readers (stat, wchan, stack, task lists) are src/procfs.
import { spawnSync } from 'node:child_process';
import { readProcFile } from '../../../procfs/index.js';

const execStartPattern = /^se\.exec_start\s*:\s*([0-9.]+)/m;

/**
 * se.exec_start of /proc/<tid>/sched, in ms of its CPU's runqueue task clock: when the task
 * last ran (it is updated while the task runs, so for a sleeper it is when it went to sleep).
 */
export function readExecStartMs(procRoot: string, tid: number): number | undefined {
  const text = readProcFile(`${procRoot}/${tid}/sched`);
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
  const text = readProcFile(`${sysRoot}/devices/system/cpu/online`)?.trim() ?? '';
  const cpus: number[] = [];
  for (const part of text.split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}
