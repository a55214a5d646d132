// TS side of kevents.h and the kevents_{hang,oom,reclaim}.bpf.c objects (layout checked
// against BTF by test/kevents/layout.test.ts), plus the availability probe each event
// tracer runs before loading (a missing tracepoint means `unavailable`, not a crash).
import { existsSync } from 'node:fs';
import { KernelBtf } from '../btf.js';
import { char, defineLayout, u32, u64 } from '../layout.js';

export const KEV_EVENTS_RING = 'events';
export const KEV_HANG_OBJECT = 'kevents_hang';
export const KEV_OOM_OBJECT = 'kevents_oom';
/** The pre-6.9 (`int pid` mark_victim) variant; src/actors/tracers/oom/variant.ts picks by BTF. */
export const KEV_OOM_PID_OBJECT = 'kevents_oom_pid';
export const KEV_RECLAIM_OBJECT = 'kevents_reclaim';

export const KevKind = { hungTask: 1, oomVictim: 2, directReclaim: 3, memcgReclaim: 4 } as const;

export const kevEventLayout = defineLayout('kev_event', {
  time_ns: u64,
  cgroup_v2: u64,
  cgroup_memory: u64,
  value: u64,
  extra: u64,
  kind: u32,
  pid: u32,
  tgid: u32,
  trigger_pid: u32,
  comm: char(16),
  trigger_comm: char(16),
});
export const kevReclaimStartLayout = defineLayout('kev_reclaim_start', { start_ns: u64, order: u32, pad: u32 });
export const kevMemcgWindowLayout = defineLayout('kev_memcg_window', { start_ns: u64, stall_ns: u64, nr_reclaimed: u64, reclaims: u32, reported: u32 });
export type KevEvent = ReturnType<typeof kevEventLayout.decode>;

/** Knobs of kevents_reclaim.bpf.c: the direct-reclaim threshold and the memcg window rule. */
export function kevReclaimRodata(thresholdNs: bigint, memcg: { thresholdNs: bigint; windowNs: bigint }): Record<string, bigint> {
  return { threshold_ns: thresholdNs, memcg_threshold_ns: memcg.thresholdNs, memcg_window_ns: memcg.windowNs };
}

export interface TracepointProbe {
  tracefsRoot?: string;
  btfPath?: string;
}

/**
 * Why `category/name` cannot be traced with tp_btf here, or undefined when it can: the
 * tracefs event directory must exist (tracepoint compiled in) and the kernel BTF must hold
 * `btf_trace_<name>` (what tp_btf attaches by).
 */
export function tracepointUnavailableReason(category: string, name: string, probe: TracepointProbe = {}): string | undefined {
  const tracefs = probe.tracefsRoot ?? '/sys/kernel/tracing';
  const btf = probe.btfPath ?? '/sys/kernel/btf/vmlinux';
  if (existsSync(`${tracefs}/events`) && !existsSync(`${tracefs}/events/${category}/${name}`)) {
    return `tracepoint ${category}/${name} is not in this kernel (${tracefs}/events/${category}/${name} missing)`;
  }
  if (!existsSync(btf)) return `no kernel BTF at ${btf}: tp_btf programs cannot attach`;
  let known: boolean;
  try {
    known = KernelBtf.shared(btf).hasTracepoint(name);
  } catch (err) {
    return `kernel BTF at ${btf} is unreadable: ${(err as Error).message}`;
  }
  if (!known) return `kernel BTF has no btf_trace_${name}`;
  return undefined;
}
