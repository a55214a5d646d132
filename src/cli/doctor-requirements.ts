// What each tracer of the catalog needs from the host, in one place, so `autotracer doctor`
// can say per tracer whether it can run here and why not. Keep an entry in step with the
// tracer's code: the BPF objects it opens (checked by opening and loading them, never
// attaching), the tracefs events it attaches to, and the files it reads.
// test/ops/doctor.test.ts fails when a catalog entry has no requirement list here.
// Object names come from the native layouts; tracer modules are not imported (importing one
// registers the tracer, which belongs in its actor).
import { IOTRACING_OBJECT } from '../native/bpf/iotracing.js';
import { KEV_HANG_OBJECT, KEV_OOM_OBJECT, KEV_RECLAIM_OBJECT } from '../native/bpf/kevents.js';
import { PROFILE_OBJECT } from '../native/bpf/profile.js';
import { WAITRATE_OBJECT } from '../native/bpf/waitrate.js';
import { WAITRATE_CAPTURE_OBJECT } from '../native/bpf/waitrate_capture.js';

/** A file the tracer reads; `/proc/...` paths follow the tracer's `settings.procRoot`. */
export interface RequiredFile {
  path: string;
  /** Why the tracer reads it (shown when it is missing). */
  why: string;
}

export interface TracerRequirements {
  /** build/bpf/<name>.bpf.o objects the tracer opens (doctor opens and loads each, no attach). */
  bpfObjects: string[];
  /** tracefs category/name pairs its tp_btf programs attach to (event dir + btf_trace_<name>). */
  tracepoints: Array<[string, string]>;
  /** Samples with perf_event cpu-clock (the CPU profile). */
  perfEvent: boolean;
  /** Needs a cgroup hierarchy: 'v2' (ids, perf cgroup mode), 'any' (container accounting), 'none'. */
  cgroups: 'v2' | 'any' | 'none';
  files: RequiredFile[];
}

const SCHED_WAIT_TRACEPOINTS: Array<[string, string]> = [
  ['sched', 'sched_wakeup'],
  ['sched', 'sched_wakeup_new'],
  ['sched', 'sched_migrate_task'],
  ['sched', 'sched_switch'],
];

const kallsyms: RequiredFile = { path: '/proc/kallsyms', why: 'kernel frame symbolization' };
const ownStack: RequiredFile = { path: '/proc/self/stack', why: 'kernel stacks of blocked tasks (root / CAP_SYS_ADMIN)' };

export const tracerRequirements: Readonly<Record<string, TracerRequirements>> = {
  example: { bpfObjects: [], tracepoints: [], perfEvent: false, cgroups: 'none', files: [{ path: '/proc/loadavg', why: 'the load average it watches' }] },
  cpusys: {
    bpfObjects: [PROFILE_OBJECT], tracepoints: [], perfEvent: true, cgroups: 'none',
    files: [{ path: '/proc/stat', why: 'host sys% every interval' }, kallsyms],
  },
  cpuidle: {
    bpfObjects: [PROFILE_OBJECT], tracepoints: [], perfEvent: true, cgroups: 'any',
    files: [{ path: '/proc/self/cgroup', why: 'container of a process' }, kallsyms],
  },
  dload: {
    bpfObjects: [], tracepoints: [], perfEvent: false, cgroups: 'any',
    files: [
      { path: '/proc/self/stat', why: 'task states (D count per container)' },
      { path: '/proc/self/wchan', why: 'where a D task sleeps' },
      { path: '/sys/devices/system/cpu/online', why: 'online CPUs for the load EMA' },
      ownStack,
    ],
  },
  memburst: {
    bpfObjects: [], tracepoints: [], perfEvent: false, cgroups: 'none',
    files: [
      { path: '/proc/meminfo', why: 'anonymous memory samples' },
      { path: '/proc/self/statm', why: 'RSS of each process' },
      { path: '/proc/self/status', why: 'anon RSS of each process' },
    ],
  },
  iotracing: {
    bpfObjects: [IOTRACING_OBJECT],
    // block_io_start (6.5+) or its fallback block_rq_insert: the kernel features say which (BTF).
    tracepoints: [['block', 'block_rq_issue'], ['block', 'block_rq_complete'], ['sched', 'sched_switch'], ['sched', 'sched_wakeup']],
    perfEvent: false, cgroups: 'none',
    files: [{ path: '/proc/diskstats', why: 'per-device util, throughput and await' }, { path: '/proc/self/io', why: 'per-process IO bytes' }, ownStack],
  },
  hungtask: { bpfObjects: [KEV_HANG_OBJECT], tracepoints: [['sched', 'sched_process_hang']], perfEvent: false, cgroups: 'none', files: [ownStack] },
  oom: { bpfObjects: [KEV_OOM_OBJECT], tracepoints: [['oom', 'mark_victim']], perfEvent: false, cgroups: 'none', files: [{ path: '/proc/meminfo', why: 'memory at the OOM kill' }] },
  reclaim: {
    bpfObjects: [KEV_RECLAIM_OBJECT],
    tracepoints: [
      ['vmscan', 'mm_vmscan_direct_reclaim_begin'], ['vmscan', 'mm_vmscan_direct_reclaim_end'],
      ['vmscan', 'mm_vmscan_memcg_reclaim_begin'], ['vmscan', 'mm_vmscan_memcg_reclaim_end'],
    ],
    perfEvent: false, cgroups: 'none', files: [],
  },
  waitrate: {
    bpfObjects: [WAITRATE_OBJECT, WAITRATE_CAPTURE_OBJECT], tracepoints: SCHED_WAIT_TRACEPOINTS, perfEvent: false, cgroups: 'v2',
    files: [{ path: '/proc/self/cgroup', why: 'container of a task' }],
  },
};

/** Every tracepoint any tracer needs, deduplicated, for the host-wide section. */
export function allTracepoints(requirements: Readonly<Record<string, TracerRequirements>> = tracerRequirements): Array<[string, string]> {
  const seen = new Map<string, [string, string]>();
  for (const r of Object.values(requirements)) for (const tp of r.tracepoints) seen.set(tp.join('/'), tp);
  return [...seen.values()];
}
