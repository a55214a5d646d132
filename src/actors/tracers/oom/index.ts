// oom event (tracer_type "event"): oom/mark_victim names the victim task; BPF reads its v2
// and v1-memory cgroup ids before it exits, so its container is known even when /proc is
// already gone. The document's container is the victim's. docs/kevents.md.
// Before 6.9 mark_victim passes only a pid: variant.ts picks the program from kernel BTF,
// and what BPF could not learn there (no SIGKILL seen) is read from /proc/<pid> here.
import { toContainerRef } from '../../../containers/index.js';
import { KEV_OOM_OBJECT, type KevEvent } from '../../../native/bpf/kevents.js';
import type { BpfObject } from '../../../native/index.js';
import { Flag, registerTracer, type Tracer, type TracerContext } from '../../tracer-api.js';
import { containerOf, eventTimeMs, runKevent, type KeventSpec } from '../shared/kevent-support.js';
import type { OomSettings } from './config.js';
import { readOomMeminfo } from './meminfo.js';
import { readComm } from '../../../procfs/index.js';
import { selectOomProgramFromBtf, type OomVariant } from './variant.js';

export interface OomEventData {
  victim: {
    pid: number;
    tgid: number;
    comm: string;
    container_id: string | null;
    container_hostname: string | null;
    cgroup_id: string;
    memory_cgroup_id: string;
    total_vm_bytes: number;
  };
  /** The task whose allocation ran out (current at mark_victim). */
  trigger: { pid: number; comm: string };
  memory_snapshot: { host_meminfo: Record<string, number> };
}

export const OOM_SPEC: KeventSpec = { tracer: 'oom', tracepoints: [['oom', 'mark_victim']], object: KEV_OOM_OBJECT };
const PAGE = 4096;

export class OomTracer implements Tracer<OomSettings> {
  onAttached: ((o: BpfObject) => void) | undefined;
  spec: KeventSpec = OOM_SPEC;
  /** The program variant chosen at start (tests and logs). */
  variant: OomVariant | undefined;

  async start(ctx: TracerContext<OomSettings>): Promise<void> {
    const s = ctx.config;
    const resolver = ctx.containers;
    const program = selectOomProgramFromBtf(this.spec);
    this.variant = program.variant;
    ctx.logger.info(`oom: mark_victim passes the victim ${program.variant === 'task' ? 'task' : 'pid'}: using ${program.spec.object}`);
    await runKevent(ctx as TracerContext<unknown>, program.spec, async (e: KevEvent) => {
      const meminfo = readOomMeminfo(s.procRoot); // first: closest to the moment of the kill
      const container = containerOf(resolver, e);
      const data: OomEventData = {
        victim: {
          pid: e.pid,
          tgid: e.tgid !== 0 ? e.tgid : e.pid,
          comm: e.comm !== '' ? e.comm : readComm(s.procRoot, e.pid) ?? '',
          container_id: container?.id ?? null,
          container_hostname: container?.hostname ?? null,
          cgroup_id: e.cgroup_v2.toString(),
          memory_cgroup_id: e.cgroup_memory.toString(),
          total_vm_bytes: Number(e.extra) * PAGE,
        },
        trigger: { pid: e.trigger_pid, comm: e.trigger_comm },
        memory_snapshot: { host_meminfo: meminfo },
      };
      await ctx.save({ type: 'event', time: eventTimeMs(e.time_ns), data, ...(container !== undefined ? { container: toContainerRef(container) } : {}) });
    }, (o) => this.onAttached?.(o));
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<OomSettings>('oom', () => ({ tracer: new OomTracer(), interval: 5, flags: Flag.Tracing }));
