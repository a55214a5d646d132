// Reclaim stall events (tracer_type "event"), docs/kevents.md:
// - scope "direct": vmscan/mm_vmscan_direct_reclaim_begin/_end paired per task in BPF; one
//   stall of at least thresholdMs is an event.
// - scope "memcg": vmscan/mm_vmscan_memcg_reclaim_begin/_end (a container reclaiming at its
//   own limit), summed per memory cgroup in BPF; memcgThresholdMs within memcgWindowMs is an
//   event, then the cgroup is quiet for memcgCooldownSeconds.
// Both carry the reclaiming task's container.
import { toContainerRef } from '../../../containers/index.js';
import { KEV_RECLAIM_OBJECT, KevKind, kevReclaimRodata, type KevEvent } from '../../../native/bpf/kevents.js';
import type { BpfObject } from '../../../native/index.js';
import { Flag, registerTracer, type Tracer, type TracerContext } from '../../tracer-api.js';
import { containerOf, eventTimeMs, runKevent, type KeventSpec } from '../shared/kevent-support.js';
import type { ReclaimSettings } from './config.js';

export type ReclaimScope = 'direct' | 'memcg';

export interface ReclaimEventData {
  pid: number;
  tgid: number;
  comm: string;
  container_id: string | null;
  /** direct: global direct reclaim (one stall); memcg: the cgroup's own limit (a window's sum). */
  scope: ReclaimScope;
  /** direct: the stall; memcg: the cgroup's reclaim time within the window. */
  reclaim_duration_ns: number;
  nr_reclaimed_pages: number;
  /** memcg only: the window the duration was summed over. */
  window_ns?: number;
  /** memcg only: the v1 memory cgroup id (v2 id without a v1 hierarchy) the window belongs to. */
  memory_cgroup_id?: string;
}

/** thresholdMs -> ns as the BPF knob wants it. */
const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
/** memcgThresholdMs 0 = off: a threshold no window can reach. */
const OFF = (1n << 64n) - 1n;

export function reclaimSpec(settings: ReclaimSettings): KeventSpec {
  return {
    tracer: 'reclaim',
    tracepoints: [
      ['vmscan', 'mm_vmscan_direct_reclaim_begin'], ['vmscan', 'mm_vmscan_direct_reclaim_end'],
      ['vmscan', 'mm_vmscan_memcg_reclaim_begin'], ['vmscan', 'mm_vmscan_memcg_reclaim_end'],
    ],
    object: KEV_RECLAIM_OBJECT,
    rodata: kevReclaimRodata(ns(settings.thresholdMs), {
      thresholdNs: settings.memcgThresholdMs > 0 ? ns(settings.memcgThresholdMs) : OFF,
      windowNs: ns(settings.memcgWindowMs),
    }),
  };
}

/** The stored document for one event (pure: unit-tested without a real stall). */
export function reclaimEventData(e: KevEvent, containerId: string | null, settings?: Pick<ReclaimSettings, 'memcgWindowMs'>): ReclaimEventData {
  const base = { pid: e.pid, tgid: e.tgid, comm: e.comm, container_id: containerId, reclaim_duration_ns: Number(e.value), nr_reclaimed_pages: Number(e.extra) };
  if (e.kind !== KevKind.memcgReclaim) return { ...base, scope: 'direct' };
  return {
    ...base,
    scope: 'memcg',
    window_ns: Math.round((settings?.memcgWindowMs ?? 0) * 1e6),
    memory_cgroup_id: memcgKey(e).toString(),
  };
}

/** The cgroup a memcg window belongs to, as BPF keyed it. */
function memcgKey(e: KevEvent): bigint {
  return e.cgroup_memory !== 0n ? e.cgroup_memory : e.cgroup_v2;
}

/** At most one memcg event per cgroup per cooldown (BPF already limits it to one per window). */
export class MemcgCooldown {
  readonly #lastMs = new Map<bigint, number>();
  constructor(private readonly cooldownMs: number) {}

  admit(key: bigint, nowMs: number): boolean {
    const last = this.#lastMs.get(key);
    if (last !== undefined && nowMs - last < this.cooldownMs) return false;
    this.#lastMs.set(key, nowMs);
    if (this.#lastMs.size > 4096) this.#forgetOlderThan(nowMs - this.cooldownMs);
    return true;
  }

  #forgetOlderThan(limitMs: number): void {
    for (const [key, at] of this.#lastMs) if (at < limitMs) this.#lastMs.delete(key);
  }
}

export class ReclaimTracer implements Tracer<ReclaimSettings> {
  onAttached: ((o: BpfObject) => void) | undefined;
  specOverride: Partial<KeventSpec> | undefined;

  async start(ctx: TracerContext<ReclaimSettings>): Promise<void> {
    const s = ctx.config;
    const resolver = ctx.containers;
    const cooldown = new MemcgCooldown(s.memcgCooldownSeconds * 1000);
    await runKevent(ctx as TracerContext<unknown>, { ...reclaimSpec(s), ...this.specOverride }, async (e: KevEvent) => {
      if (e.kind === KevKind.memcgReclaim && !cooldown.admit(memcgKey(e), Date.now())) return;
      const container = containerOf(resolver, e);
      if (s.containersOnly && container === undefined) return;
      await ctx.save({ type: 'event', time: eventTimeMs(e.time_ns), data: reclaimEventData(e, container?.id ?? null, s), ...(container !== undefined ? { container: toContainerRef(container) } : {}) });
    }, (o) => this.onAttached?.(o));
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<ReclaimSettings>('reclaim', () => ({ tracer: new ReclaimTracer(), interval: 5, flags: Flag.Tracing }));
