// Direct reclaim stall event (tracer_type "event"): vmscan/mm_vmscan_direct_reclaim_begin
// and _end paired per task in BPF; a stall of at least thresholdMs becomes an event with
// the task's container. docs/kevents.md.
import { ContainerResolver } from '../../../containers/index.js';
import { KEV_RECLAIM_OBJECT, kevReclaimRodata, type KevEvent } from '../../../native/bpf/kevents.js';
import type { BpfObject } from '../../../native/index.js';
import { Flag, registerTracer, type Tracer, type TracerContext } from '../../tracer-api.js';
import { containerOf, containerRef, eventTimeMs, runKevent, type KeventSpec } from '../hungtask/kevent-support.js';
import type { ReclaimSettings } from './config.js';

export interface ReclaimEventData {
  pid: number;
  tgid: number;
  comm: string;
  container_id: string | null;
  reclaim_duration_ns: number;
  nr_reclaimed_pages: number;
}

export function reclaimSpec(settings: ReclaimSettings): KeventSpec {
  return {
    tracer: 'reclaim',
    tracepoints: [['vmscan', 'mm_vmscan_direct_reclaim_begin'], ['vmscan', 'mm_vmscan_direct_reclaim_end']],
    object: KEV_RECLAIM_OBJECT,
    rodata: kevReclaimRodata(BigInt(Math.round(settings.thresholdMs * 1e6))),
  };
}

/** The stored document for one stall (pure: unit-tested without a real stall). */
export function reclaimEventData(e: KevEvent, containerId: string | null): ReclaimEventData {
  return { pid: e.pid, tgid: e.tgid, comm: e.comm, container_id: containerId, reclaim_duration_ns: Number(e.value), nr_reclaimed_pages: Number(e.extra) };
}

export class ReclaimTracer implements Tracer<ReclaimSettings> {
  onAttached: ((o: BpfObject) => void) | undefined;
  specOverride: Partial<KeventSpec> | undefined;

  async start(ctx: TracerContext<ReclaimSettings>): Promise<void> {
    const s = ctx.config;
    const resolver = new ContainerResolver(s.containers);
    await runKevent(ctx as TracerContext<unknown>, { ...reclaimSpec(s), ...this.specOverride }, async (e: KevEvent) => {
      const container = containerOf(resolver, e);
      if (s.containersOnly && container === undefined) return;
      await ctx.save({ type: 'event', time: eventTimeMs(e.time_ns), data: reclaimEventData(e, container?.id ?? null), ...(container !== undefined ? { container: containerRef(container) } : {}) });
    }, (o) => this.onAttached?.(o));
  }
}

// No settingsSchema: as a catalog tracer its settings are parsed (defaults applied) with the
// catalog's schema by the supervisor in the main thread, so this worker never loads zod
// (~5.5 MB of RSS per actor). config.ts is imported for its types only.
registerTracer<ReclaimSettings>('reclaim', () => ({ tracer: new ReclaimTracer(), interval: 5, flags: Flag.Tracing }));
