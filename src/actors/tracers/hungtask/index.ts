// hungtask event (tracer_type "event"): sched/sched_process_hang fires when khungtaskd finds
// a task blocked in TASK_UNINTERRUPTIBLE (not killable) longer than
// kernel.hung_task_timeout_secs; the event carries its /proc stack and the other D tasks.
// docs/kevents.md.
import { readFileSync } from 'node:fs';
import { toContainerRef } from '../../../containers/index.js';
import { KEV_HANG_OBJECT, type KevEvent } from '../../../native/bpf/kevents.js';
import type { BpfObject } from '../../../native/index.js';
import { Flag, registerTracer, type Tracer, type TracerContext } from '../../tracer-api.js';
import type { HungtaskSettings } from './config.js';
import { containerOf, eventTimeMs, runKevent, type KeventSpec } from '../shared/kevent-support.js';
import { blockedTasks, kernelStack, taskState, wchan } from './procstack.js';

export interface HungtaskEventData {
  pid: number;
  tgid: number;
  comm: string;
  state: string | null;
  wchan: string | null;
  /** The hung task's kernel stack from /proc/<pid>/stack, innermost first. */
  stack: string[];
  container_id: string | null;
  hung_task_timeout_secs: number | null;
  blocked_processes: Array<{ pid: number; comm: string; wchan: string | null; stack: string[] }>;
}

export const HUNGTASK_SPEC: KeventSpec = { tracer: 'hungtask', tracepoints: [['sched', 'sched_process_hang']], object: KEV_HANG_OBJECT };

function sysctlNumber(path: string): number | null {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return null;
  }
}

export class HungtaskTracer implements Tracer<HungtaskSettings> {
  /** Tests: called once the BPF program is attached. */
  onAttached: ((o: BpfObject) => void) | undefined;
  spec: KeventSpec = HUNGTASK_SPEC;

  async start(ctx: TracerContext<HungtaskSettings>): Promise<void> {
    const s = ctx.config;
    const resolver = ctx.containers;
    await runKevent(ctx as TracerContext<unknown>, this.spec, async (e: KevEvent) => {
      // The same task is reported at every khungtaskd check while it stays blocked.
      if (!(await ctx.cooldown.tryArm(`tid:${e.pid}`))) return;
      const container = containerOf(resolver, e);
      const data: HungtaskEventData = {
        pid: e.pid,
        tgid: e.tgid,
        comm: e.comm,
        state: taskState(s.procRoot, e.pid),
        wchan: wchan(s.procRoot, e.pid),
        stack: kernelStack(s.procRoot, e.pid),
        container_id: container?.id ?? null,
        hung_task_timeout_secs: sysctlNumber(`${s.procRoot}/sys/kernel/hung_task_timeout_secs`),
        blocked_processes: blockedTasks(s.procRoot, s.maxOtherBlocked, e.pid),
      };
      await ctx.save({ type: 'event', time: eventTimeMs(e.time_ns), data, ...(container !== undefined ? { container: toContainerRef(container) } : {}) });
    }, (o) => this.onAttached?.(o));
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<HungtaskSettings>('hungtask', () => ({ tracer: new HungtaskTracer(), interval: 10, flags: Flag.Tracing }));
