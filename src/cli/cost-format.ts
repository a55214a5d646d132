// Renders a cost report (src/cost/measure.ts) as the `autotracer cost` table or as
// Prometheus text (for a textfile collector or a one-off push): docs/cost.md.
import type { AbResult } from '../cost/ab.js';
import type { CostReport, ProgramCost } from '../cost/measure.js';
import { renderTable, type Column } from './table.js';

const pct = (x: number): string => `${x.toFixed(x < 0.1 ? 3 : 2)}%`;
const mib = (b: number | null): string => (b === null ? '(shared)' : `${(b / 1048576).toFixed(1)} MiB`);

interface ProgramRow extends ProgramCost {
  actor: string;
}

const actorColumns: Column<CostReport['actors'][number]>[] = [
  { header: 'ACTOR', value: (a) => a.name },
  { header: 'STATE', value: (a) => a.state },
  { header: 'ISOLATION', value: (a) => a.isolation },
  { header: 'CPU', value: (a) => pct(a.cpuPercent), right: true },
  { header: 'MEMORY', value: (a) => mib(a.rssBytes), right: true },
  { header: 'BPF PROGS', value: (a) => String(a.programs.length), right: true },
  { header: 'BPF CPU', value: (a) => pct(a.bpfCpuPercent), right: true },
];

const programColumns: Column<ProgramRow>[] = [
  { header: 'ACTOR', value: (p) => p.actor },
  { header: 'PROGRAM', value: (p) => `${p.object}/${p.program}` },
  { header: 'NS/INVOCATION', value: (p) => (p.nsPerInvocation === null ? '-' : p.nsPerInvocation.toFixed(0)), right: true },
  { header: 'INVOCATIONS/S', value: (p) => p.invocationsPerSecond.toFixed(p.invocationsPerSecond < 10 ? 2 : 0), right: true },
  { header: 'CPU', value: (p) => pct(p.cpuPercent), right: true },
];

/** `--ab`: one tracer's pinned ping-pong throughput with it on and off (interleaved rounds). */
export function renderCostTable(report: CostReport, ab?: AbResult[]): string {
  let out = `agent pid ${report.agent.pid}: ${pct(report.agent.cpuPercent)} of one CPU (all its threads), RSS ${mib(report.agent.rssBytes)}, over ${report.windowSeconds.toFixed(1)} s\n`;
  out += `BPF run-time stats: on for this window only${report.bpfStats.wereOn === true ? ' (they were already on: another holder)' : ''}; after: ${report.bpfStats.onAfter === null ? 'unknown' : report.bpfStats.onAfter ? 'on (another holder)' : 'off'}\n\n`;
  out += renderTable(actorColumns, report.actors);
  const programs: ProgramRow[] = [
    ...report.actors.flatMap((a) => a.programs.map((p) => ({ ...p, actor: a.name }))),
    ...report.unattributed.map((p) => ({ ...p, actor: '(not yet reported)' })),
  ];
  out += programs.length === 0 ? '\nno BPF program is attached by the agent right now\n' : `\n${renderTable(programColumns, programs)}`;
  if (ab !== undefined && ab.length > 0) {
    out += `\n${renderTable(abColumns, ab)}`;
  }
  return out;
}

const abColumns: Column<AbResult>[] = [
  { header: 'A/B TRACER', value: (r) => r.tracer },
  { header: 'OPS/S OFF', value: (r) => r.offOpsPerSecond.toFixed(0), right: true },
  { header: 'OPS/S ON', value: (r) => r.onOpsPerSecond.toFixed(0), right: true },
  { header: 'SLOWDOWN', value: (r) => `${r.slowdownPercent.toFixed(1)}%`, right: true },
  { header: 'NOISE FLOOR', value: (r) => `±${r.noiseFloorPercent.toFixed(1)}%`, right: true },
  { header: 'ROUNDS', value: (r) => String(r.rounds), right: true },
];

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition of the report (gauges; one scrape-like snapshot). */
export function renderCostPrometheus(report: CostReport, ab?: AbResult[]): string {
  const lines: string[] = [];
  const metric = (name: string, help: string, samples: Array<[Record<string, string>, number | null]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      if (value === null) continue;
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
      lines.push(`${name}${l === '' ? '' : `{${l}}`} ${value}`);
    }
  };
  metric('autotracer_cost_window_seconds', 'length of the measuring window', [[{}, report.windowSeconds]]);
  metric('autotracer_cost_agent_cpu_percent', 'agent process CPU, percent of one CPU', [[{}, report.agent.cpuPercent]]);
  metric('autotracer_cost_agent_rss_bytes', 'agent process resident memory', [[{}, report.agent.rssBytes]]);
  metric('autotracer_cost_actor_cpu_percent', 'actor CPU (thread or process), percent of one CPU', report.actors.map((a) => [{ actor: a.name, kind: a.kind }, a.cpuPercent]));
  metric('autotracer_cost_actor_rss_bytes', 'actor process RSS (process isolation only)', report.actors.map((a) => [{ actor: a.name, kind: a.kind }, a.rssBytes]));
  const progs = report.actors.flatMap((a) => a.programs.map((p) => [a.name, p] as const));
  metric('autotracer_cost_bpf_ns_per_invocation', 'BPF program run time per invocation (kernel run_time_ns / run_cnt over the window)', progs.map(([a, p]) => [{ actor: a, object: p.object, program: p.program }, p.nsPerInvocation]));
  metric('autotracer_cost_bpf_invocations_per_second', 'BPF program invocations per second over the window', progs.map(([a, p]) => [{ actor: a, object: p.object, program: p.program }, p.invocationsPerSecond]));
  metric('autotracer_cost_bpf_cpu_percent', 'BPF program run time, percent of one CPU (ns per invocation x invocations per second)', progs.map(([a, p]) => [{ actor: a, object: p.object, program: p.program }, p.cpuPercent]));
  if (ab !== undefined && ab.length > 0) {
    metric('autotracer_cost_ab_slowdown_percent', 'pinned pipe ping-pong slowdown with the tracer on vs off (median of interleaved rounds)', ab.map((r) => [{ tracer: r.tracer }, r.slowdownPercent]));
    metric('autotracer_cost_ab_noise_floor_percent', 'spread of the off rounds around their median (a slowdown below this is noise)', ab.map((r) => [{ tracer: r.tracer }, r.noiseFloorPercent]));
  }
  return `${lines.join('\n')}\n`;
}
