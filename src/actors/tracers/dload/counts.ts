// Counting a container's tasks by state, as the kernel's CGROUPSTATS (v1 only) would, but
// from /proc so that it works on cgroup v1 and v2 alike. Two departures, both deliberate:
// - a task frozen by the v1 freezer shows as D in /proc although the kernel holds it in
//   TASK_FROZEN (freezer.ts tells); it is counted as nr_frozen, not as uninterruptible;
// - nr_iowait is the number of D tasks with a block-IO wait frame in their kernel stack
//   (settings.iowaitFrames), because /proc does not export in_iowait, and io_schedule itself
//   never shows in /proc/<tid>/stack (scheduler functions are left out). CGROUPSTATS' own
//   nr_io_wait only counts tasks outside the four main states, so it is almost always 0.
import type { FreezerProbe } from './freezer.js';
import { readKernelStack, readTaskStat, readWchan, type TaskStat } from '../../../procfs/index.js';

export interface TaskCounts {
  nr_running: number;
  nr_sleeping: number;
  nr_uninterruptible: number;
  nr_stopped: number;
  nr_iowait: number;
  /** Addition: D in /proc but frozen by the v1 freezer (not counted as uninterruptible). */
  nr_frozen: number;
  /** Addition: every task that was read (threads that exited during the scan are not counted). */
  nr_tasks: number;
}

export interface DTask {
  tid: number;
  comm: string;
  /** CPU it last ran on (its exec_start is on that CPU's clock). */
  cpu?: number;
  wchan: string;
  /** Kernel frames, innermost first; [] when unreadable. */
  stack: string[];
  iowait: boolean;
}

export interface ContainerScan {
  counts: TaskCounts;
  dTasks: DTask[];
}

export const emptyCounts = (): TaskCounts => ({ nr_running: 0, nr_sleeping: 0, nr_uninterruptible: 0, nr_stopped: 0, nr_iowait: 0, nr_frozen: 0, nr_tasks: 0 });

export function isFrozenWchan(wchan: string, stack: readonly string[]): boolean {
  return wchan === '__refrigerator' || stack.some((f) => f.startsWith('__refrigerator'));
}

/** Frames that mean "waiting for block IO" (the default of settings.iowaitFrames). */
export const DEFAULT_IOWAIT_FRAMES =
  '^(io_schedule|submit_bio_wait|blk_mq_get_tag|__blkdev_direct_IO|blkdev_direct_IO|__iomap_dio_rw|iomap_dio_rw|folio_wait_bit|folio_wait_writeback|__folio_lock|wait_on_page_bit|__lock_page|bit_wait_io|__wait_on_buffer|out_of_line_wait_on_bit|jbd2_log_wait_commit|wait_on_page_writeback)';

export function isIowaitStack(stack: readonly string[], frames: RegExp): boolean {
  return stack.some((f) => frames.test(f));
}

/** Reads the D task's wchan and stack; undefined when it exited or turned out to be frozen. */
export function inspectDTask(procRoot: string, stat: TaskStat, iowaitFrames: RegExp, freezer: FreezerProbe): (DTask & { frozen: boolean }) | undefined {
  const wchan = readWchan(procRoot, stat.tid);
  const stack = readKernelStack(procRoot, stat.tid);
  if (wchan === undefined && stack === undefined) return undefined;
  const frames = stack ?? [];
  return { tid: stat.tid, comm: stat.comm, ...(stat.cpu !== undefined ? { cpu: stat.cpu } : {}), wchan: wchan ?? '', stack: frames, iowait: isIowaitStack(frames, iowaitFrames), frozen: isFrozenWchan(wchan ?? '', frames) || freezer.isFrozen(stat.tid) };
}

export function scanTasks(procRoot: string, tids: readonly number[], iowaitFrames: RegExp, freezer: FreezerProbe): ContainerScan {
  const counts = emptyCounts();
  const dTasks: DTask[] = [];
  for (const tid of tids) {
    const stat = readTaskStat(procRoot, tid);
    if (stat === undefined) continue;
    counts.nr_tasks++;
    switch (stat.state) {
      case 'R':
        counts.nr_running++;
        break;
      case 'S':
      case 'I':
        counts.nr_sleeping++;
        break;
      case 'T':
      case 't':
        counts.nr_stopped++;
        break;
      case 'D': {
        const d = inspectDTask(procRoot, stat, iowaitFrames, freezer);
        if (d === undefined) break;
        if (d.frozen) {
          counts.nr_frozen++;
          break;
        }
        counts.nr_uninterruptible++;
        if (d.iowait) counts.nr_iowait++;
        const { frozen: _frozen, ...task } = d;
        dTasks.push(task);
        break;
      }
      default:
        break; // Z, X: not schedulable, not load
    }
  }
  return { counts, dTasks };
}
