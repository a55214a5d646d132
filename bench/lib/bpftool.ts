// BPF program run-time statistics from `bpftool -j prog show` (run_cnt / run_time_ns are only
// counted while some process holds bpf_enable_stats; the agent does by default, see
// `bpfStats` in docs/runtime.md). The agent's programs are told apart from other tools' by
// id: present while it runs, absent just before it started.
import { spawnSync } from 'node:child_process';
import { toolFailed } from '../errors.js';

export interface ProgSample {
  id: number;
  type: string;
  name: string;
  runCnt: number;
  runTimeNs: number;
}

export function progSnapshot(): Map<number, ProgSample> {
  const r = spawnSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw toolFailed('bpftool -j prog show', r.stderr || String(r.error));
  const progs = JSON.parse(r.stdout.trim() || '[]') as Array<{ id: number; type: string; name?: string; run_cnt?: number; run_time_ns?: number }>;
  return new Map(progs.map((p) => [p.id, { id: p.id, type: p.type, name: p.name ?? `#${p.id}`, runCnt: p.run_cnt ?? 0, runTimeNs: p.run_time_ns ?? 0 }]));
}

export interface ProgDelta {
  name: string;
  type: string;
  runs: number;
  ns: number;
}

/** Per program in `ids`: invocations and run time between two snapshots. */
export function progDeltas(before: Map<number, ProgSample>, after: Map<number, ProgSample>, ids: Iterable<number>): ProgDelta[] {
  const out: ProgDelta[] = [];
  for (const id of ids) {
    const a = after.get(id);
    if (a === undefined) continue;
    const b = before.get(id);
    out.push({ name: a.name, type: a.type, runs: a.runCnt - (b?.runCnt ?? 0), ns: a.runTimeNs - (b?.runTimeNs ?? 0) });
  }
  return out;
}
