// Kernel feature probing from BTF: which of the kernel features our BPF objects rely on
// this kernel has, asked before loading anything, so that a tracer can pick a fallback
// program or say exactly what is missing (instead of a verifier log), and `doctor` can
// predict the same for this host or for another kernel's BTF file (--btf).
// Each feature names the kernel version that introduced it upstream; that version is
// informative only: the probe reads the kernel's own BTF, so backports count.
import { KernelBtf } from './btf.js';

export const DEFAULT_BTF_PATH = '/sys/kernel/btf/vmlinux';

export interface KernelFeature {
  id: string;
  /** What it is, for people. */
  title: string;
  /** The upstream kernel that introduced it. */
  since: string;
  present(btf: KernelBtf): boolean;
}

function tracepoint(name: string, since: string): KernelFeature {
  return { id: `tp_btf:${name}`, title: `tracepoint ${name} (tp_btf)`, since, present: (btf) => btf.hasTracepoint(name) };
}

/**
 * Everything any built-in BPF object needs, by id. taskGetCgroup1 (v1 cgroup ids in BPF) is
 * here for a variant that another change adds; no tracer lists it yet.
 */
export const FEATURES = {
  tpBtf: { id: 'tp_btf', title: 'BTF-typed tracepoint programs (tp_btf)', since: '5.5', present: (b) => b.hasEnumValue('bpf_attach_type', 'BPF_TRACE_RAW_TP') },
  ringbuf: { id: 'ringbuf', title: 'BPF ring buffer map', since: '5.8', present: (b) => b.hasEnumValue('bpf_map_type', 'BPF_MAP_TYPE_RINGBUF') },
  currentTaskBtf: { id: 'get_current_task_btf', title: 'bpf_get_current_task_btf() helper', since: '5.11', present: (b) => b.hasEnumValue('bpf_func_id', 'BPF_FUNC_get_current_task_btf') },
  percpuLookup: { id: 'map_lookup_percpu_elem', title: 'bpf_map_lookup_percpu_elem() helper', since: '5.19', present: (b) => b.hasEnumValue('bpf_func_id', 'BPF_FUNC_map_lookup_percpu_elem') },
  threadInfoCpu: { id: 'thread_info.cpu', title: 'task CPU in thread_info.cpu', since: '5.16', present: (b) => b.structHasMember('thread_info', 'cpu') },
  switchPrevState: {
    id: 'sched_switch.prev_state', title: 'sched_switch passes prev_state', since: '5.18',
    present: (b) => (b.tracepointArgs('sched_switch') ?? []).length >= 4,
  },
  taskGetCgroup1: { id: 'kfunc:bpf_task_get_cgroup1', title: 'bpf_task_get_cgroup1() kfunc (v1 cgroup ids)', since: '6.8', present: (b) => b.hasFunc('bpf_task_get_cgroup1') },
  markVictimTask: {
    id: 'mark_victim.task', title: 'oom/mark_victim passes the victim task', since: '6.9',
    present: (b) => markVictimShape(b) === 'task',
  },
  tpBlockIoStart: tracepoint('block_io_start', '6.5'),
  tpBlockRqInsert: tracepoint('block_rq_insert', '2.6.x'),
  tpBlockRqIssue: tracepoint('block_rq_issue', '2.6.x'),
  tpBlockRqComplete: tracepoint('block_rq_complete', '2.6.x'),
  tpSchedSwitch: tracepoint('sched_switch', '2.6.x'),
  tpSchedWakeup: tracepoint('sched_wakeup', '2.6.x'),
  tpSchedWakeupNew: tracepoint('sched_wakeup_new', '2.6.x'),
  tpSchedMigrate: tracepoint('sched_migrate_task', '2.6.x'),
  tpSchedProcessHang: tracepoint('sched_process_hang', '2.6.x'),
  tpMarkVictim: tracepoint('mark_victim', '4.x'),
  tpSignalGenerate: tracepoint('signal_generate', '3.x'),
  tpReclaimBegin: tracepoint('mm_vmscan_direct_reclaim_begin', '2.6.x'),
  tpReclaimEnd: tracepoint('mm_vmscan_direct_reclaim_end', '2.6.x'),
  tpMemcgReclaimBegin: tracepoint('mm_vmscan_memcg_reclaim_begin', '2.6.x'),
  tpMemcgReclaimEnd: tracepoint('mm_vmscan_memcg_reclaim_end', '2.6.x'),
  tpSysEnter: tracepoint('sys_enter', '3.x'),
  tpWritebackDirtyFolio: tracepoint('writeback_dirty_folio', '5.17'),
} satisfies Record<string, KernelFeature>;

/** How oom/mark_victim hands over its victim: the task (6.9+, and backports) or its pid (older). */
export type MarkVictimShape = 'task' | 'pid' | 'absent' | 'unknown';

export function markVictimShape(btf: KernelBtf): MarkVictimShape {
  const args = btf.tracepointArgs('mark_victim');
  if (args === undefined) return 'absent';
  if (args[0] === 'struct task_struct *') return 'task';
  if (args[0] === 'int' || args[0] === 'pid_t') return 'pid';
  return 'unknown';
}

/**
 * One thing a tracer needs. When `fallback` is set, the tracer still runs without the
 * feature, in the way the text says; otherwise its absence makes the tracer unavailable.
 */
export interface FeatureNeed {
  feature: KernelFeature;
  fallback?: string;
  /** Only one of the tracer's variant programs needs it (named here), e.g. the OOM task variant. */
  variant?: string;
}

export type FeatureStatus = 'present' | 'missing' | 'fallback';

export interface FeatureVerdict {
  id: string;
  title: string;
  since: string;
  status: FeatureStatus;
  /** For 'fallback': what the tracer does instead. */
  fallback?: string;
}

const F = FEATURES;

/**
 * What each built-in BPF tracer needs from the kernel, feature by feature. Keep in step with
 * the BPF sources (src/native/bpf/*.bpf.c); test/native/features.test.ts checks each feature
 * against this host's BTF.
 */
export const TRACER_FEATURES: Readonly<Record<string, readonly FeatureNeed[]>> = {
  oom: [
    { feature: F.tpBtf },
    { feature: F.ringbuf },
    { feature: F.tpMarkVictim },
    { feature: F.markVictimTask, fallback: 'pre-6.9 variant kevents_oom_pid: the victim pid from the mark_victim event, its name and cgroups from the SIGKILL the OOM killer sent it (signal_generate)' },
  ],
  hungtask: [{ feature: F.tpBtf }, { feature: F.ringbuf }, { feature: F.tpSchedProcessHang }],
  reclaim: [
    { feature: F.tpBtf }, { feature: F.ringbuf }, { feature: F.tpReclaimBegin }, { feature: F.tpReclaimEnd },
    { feature: F.tpMemcgReclaimBegin }, { feature: F.tpMemcgReclaimEnd },
  ],
  // Without block_io_start (6.5) the capture loads iot_rq_insert instead
  // (src/actors/tracers/iotracing/start-program.ts; what it loses: docs/iotracing.md).
  iotracing: [
    { feature: F.tpBtf },
    { feature: F.currentTaskBtf },
    {
      feature: F.tpBlockIoStart,
      fallback: 'iot_rq_insert: request start and submitter from block_rq_insert (IO-scheduler requests) or block_rq_issue (the rest); IO dispatched from a kworker is charged to it',
    },
    { feature: F.tpBlockRqInsert, variant: 'iot_rq_insert' },
    { feature: F.tpBlockRqIssue },
    { feature: F.tpBlockRqComplete },
    { feature: F.tpSchedSwitch },
    { feature: F.switchPrevState },
    { feature: F.tpSchedWakeup },
    // IOT_OPTIONAL_PROGRAMS (src/native/bpf/iotracing.ts): not loaded when their tracepoint is absent.
    { feature: F.tpSysEnter, fallback: 'direct-IO rows keep inode 0 (the file of the syscall is not tracked)' },
    { feature: F.tpWritebackDirtyFolio, fallback: 'flusher writeback stays charged to the kworker, not the dirtier' },
  ],
  waitrate: [
    { feature: F.tpBtf },
    { feature: F.tpSchedSwitch },
    { feature: F.switchPrevState },
    { feature: F.tpSchedWakeup },
    { feature: F.tpSchedWakeupNew },
    { feature: F.tpSchedMigrate },
    { feature: F.threadInfoCpu },
    { feature: F.percpuLookup },
  ],
};

export function verdict(need: FeatureNeed, btf: KernelBtf): FeatureVerdict {
  const { id, title, since } = need.feature;
  if (need.feature.present(btf)) return { id, title, since, status: 'present' };
  return need.fallback !== undefined ? { id, title, since, status: 'fallback', fallback: need.fallback } : { id, title, since, status: 'missing' };
}

export interface TracerFeatureReport {
  tracer: string;
  verdicts: FeatureVerdict[];
  /** Why the tracer cannot run on this kernel, naming every missing feature; undefined when it can. */
  unavailable: string | undefined;
}

export function describeMissing(v: FeatureVerdict): string {
  return `${v.title} (Linux ${v.since}+)`;
}

export function tracerFeatureReport(tracer: string, btf: KernelBtf, needs: readonly FeatureNeed[] = TRACER_FEATURES[tracer] ?? []): TracerFeatureReport {
  const verdicts = needs.map((n) => verdict(n, btf));
  const missing = verdicts.filter((v) => v.status === 'missing');
  return {
    tracer,
    verdicts,
    unavailable: missing.length === 0 ? undefined : `${tracer}: this kernel lacks ${missing.map(describeMissing).join(', ')}`,
  };
}

/** The same report without BTF: every feature unknown, the tracer unavailable for that reason. */
export function noBtfReport(tracer: string, why: string): TracerFeatureReport {
  return { tracer, verdicts: [], unavailable: `${tracer}: ${why}` };
}

/** The kernel BTF at `path`, shared for a few seconds only (KernelBtf.shared): not kept for a tracer's lifetime. */
export function kernelBtf(path: string = DEFAULT_BTF_PATH): KernelBtf {
  return KernelBtf.shared(path);
}

/** Convenience for tracers' code: tp_btf can attach to `name`. */
export function hasTracepoint(name: string, btfPath: string = DEFAULT_BTF_PATH): boolean {
  return kernelBtf(btfPath).hasTracepoint(name);
}

/** A tracer's report from the BTF at `btfPath`, or an unavailable one when it cannot be read. */
export function probeTracer(tracer: string, btfPath: string = DEFAULT_BTF_PATH): TracerFeatureReport {
  let btf: KernelBtf;
  try {
    btf = kernelBtf(btfPath);
  } catch (err) {
    return noBtfReport(tracer, `${(err as Error).message}: its programs need kernel BTF (CONFIG_DEBUG_INFO_BTF=y)`);
  }
  return tracerFeatureReport(tracer, btf);
}
