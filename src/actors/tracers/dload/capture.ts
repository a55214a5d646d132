// What a dload event carries: the counts and averages of the tick that fired, the D tasks of
// the container (from that same scan) and of the host, each with wchan, kernel stack and how
// long it has been blocked, plus HUATUO's `stack` text and known-issue tag.
import type { TaskCounts, DTask } from './counts.js';
import { inspectDTask } from './counts.js';
import { FreezerProbe } from './freezer.js';
import { listHostTids, readTaskStat } from '../../../procfs/index.js';
import { onlineCpus, readCpuClocksMs, readExecStartMs } from './proc.js';

export interface KnownIssue {
  name: string;
  pattern: string;
}

export interface DTaskRecord {
  tid: number;
  comm: string;
  wchan: string;
  /** Time since the task last ran (se.exec_start of /proc/<tid>/sched vs its CPU's clock now), ms; null if unreadable. */
  blocked_ms: number | null;
  /** Time the tracer has seen it in D continuously (0 = first seen this tick); null for tasks it does not track (host). */
  seen_blocked_ms: number | null;
  iowait: boolean;
  /** Kernel frames, innermost first. */
  stack: string[];
}

export interface DloadEventData extends TaskCounts {
  threshold: number;
  load_avg: number;
  dload_avg: number;
  known_issue: string;
  /** HUATUO's text: "\nstacktrace of D task in cgroup:\nComm: <comm>\tPid: <tid>\n<frames>\n...". */
  stack: string;
  /** Additions. */
  interval_seconds: number;
  reason: string;
  d_tasks: DTaskRecord[];
  host_d_tasks: DTaskRecord[];
  /** D tasks found on the host (the list is capped at maxStackTasks). */
  host_nr_uninterruptible: number;
  truncated: boolean;
}

/** The first known issue whose regex matches the text, else "none" (HUATUO's rule). */
export function matchKnownIssue(issues: readonly KnownIssue[], text: string): string {
  for (const issue of issues) if (new RegExp(issue.pattern, 'm').test(text)) return issue.name;
  return 'none';
}

export function stackText(heading: string, tasks: readonly DTaskRecord[]): string {
  let out = `\n${heading}\n`;
  for (const t of tasks) out += `Comm: ${t.comm}\tPid: ${t.tid}\n${t.stack.map((f) => `[<0>] ${f}`).join('\n')}\n`;
  return out;
}

export function toRecord(procRoot: string, task: DTask, cpuClocks: ReadonlyMap<number, number>, seenSinceMs: number | undefined, now: number): DTaskRecord {
  const exec = readExecStartMs(procRoot, task.tid);
  const nowExecMs = task.cpu !== undefined ? cpuClocks.get(task.cpu) : undefined;
  const blocked = nowExecMs !== undefined && exec !== undefined ? Math.max(0, Math.round(nowExecMs - exec)) : null;
  return {
    tid: task.tid,
    comm: task.comm,
    wchan: task.wchan,
    blocked_ms: blocked,
    seen_blocked_ms: seenSinceMs !== undefined ? Math.max(0, now - seenSinceMs) : null,
    iowait: task.iowait,
    stack: task.stack,
  };
}

/** Every non-frozen D thread of the host, at most `max` of them listed (the count is exact). */
export function hostDTasks(procRoot: string, iowaitFrames: RegExp, max: number, cpuClocks: ReadonlyMap<number, number>, seen: (tid: number) => number | undefined, now: number): { tasks: DTaskRecord[]; count: number } {
  const tasks: DTaskRecord[] = [];
  let count = 0;
  const freezer = FreezerProbe.forHost(procRoot);
  for (const tid of listHostTids(procRoot)) {
    const stat = readTaskStat(procRoot, tid);
    if (stat?.state !== 'D') continue;
    const d = inspectDTask(procRoot, stat, iowaitFrames, freezer);
    if (d === undefined || d.frozen) continue;
    count++;
    if (tasks.length < max) tasks.push(toRecord(procRoot, d, cpuClocks, seen(tid), now));
  }
  return { tasks, count };
}

export interface BuildInput {
  procRoot: string;
  /** TracerContext.sysRoot (the online CPUs); /sys when absent. */
  sysRoot?: string;
  counts: TaskCounts;
  dTasks: readonly DTask[];
  threshold: number;
  loadAvg: number;
  dloadAvg: number;
  intervalSeconds: number;
  reason: string;
  knownIssues: readonly KnownIssue[];
  captureHost: boolean;
  iowaitFrames: RegExp;
  maxStackTasks: number;
  seenSince: (tid: number) => number | undefined;
  now?: number;
}

export function buildEventData(input: BuildInput): DloadEventData {
  const now = input.now ?? Date.now();
  const cpuClocks = readCpuClocksMs(onlineCpus(input.sysRoot));
  const listed = input.dTasks.slice(0, input.maxStackTasks);
  const dTasks = listed.map((t) => toRecord(input.procRoot, t, cpuClocks, input.seenSince(t.tid), now));
  const cgroupText = stackText('stacktrace of D task in cgroup:', dTasks);
  const host = input.captureHost ? hostDTasks(input.procRoot, input.iowaitFrames, input.maxStackTasks, cpuClocks, input.seenSince, now) : { tasks: [], count: 0 };
  return {
    threshold: input.threshold,
    ...input.counts,
    load_avg: input.loadAvg,
    dload_avg: input.dloadAvg,
    known_issue: matchKnownIssue(input.knownIssues, cgroupText),
    stack: cgroupText + (input.captureHost ? stackText('stacktrace of D task in host:', host.tasks) : ''),
    interval_seconds: input.intervalSeconds,
    reason: input.reason,
    d_tasks: dTasks,
    host_d_tasks: host.tasks,
    host_nr_uninterruptible: host.count,
    truncated: listed.length < input.dTasks.length || host.tasks.length < host.count,
  };
}
