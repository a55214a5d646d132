// `autotracer status`: is the agent up and ready, and how is each tracer doing.
import type { Health, Readiness, TracerView } from '../api-types.js';
import { AgentClient } from '../client.js';
import { clientContext, type GlobalOptions } from '../context.js';
import { ExitCode } from '../errors.js';
import { writeOut } from '../output.js';
import { renderTable, type Column } from '../table.js';
import { formatDuration } from '../time.js';

export type StatusFormat = 'table' | 'json';

export const tracerColumns: Column<TracerView>[] = [
  { header: 'TRACER', value: (t) => t.name },
  { header: 'STATE', value: (t) => t.state },
  { header: 'RESTARTS', value: (t) => String(t.restarts), right: true },
  { header: 'HITS', value: (t) => String(t.hits), right: true },
  // Manual triggers only, as autotracer_tracer_manual_triggers_total counts them (the metric
  // autotracer_tracer_triggers_total counts automatic captures too).
  { header: 'MANUAL', value: (t) => String(t.manualTriggers), right: true },
  { header: 'EVENTS', value: (t) => String(t.eventsStored), right: true },
  { header: 'HEARTBEAT', value: (t) => (t.heartbeatAgeMs === null ? '-' : formatDuration(t.heartbeatAgeMs)), right: true },
  { header: 'CPU', value: (t) => `${t.cpuSeconds.toFixed(2)}s`, right: true },
  { header: 'ELU', value: (t) => `${(t.eventLoopUtilization * 100).toFixed(0)}%`, right: true },
  { header: 'REASON', value: (t) => t.stateReason ?? (t.lastError !== null ? `last error: ${t.lastError.message}` : ''), max: 60 },
];

export async function runStatus(globals: GlobalOptions, format: StatusFormat): Promise<number> {
  const client = new AgentClient(await clientContext(globals));
  const [health, ready, tracers] = await Promise.all([
    client.get<Health>('/healthz'),
    client.get<Readiness>('/readyz', { accept: [503] }),
    client.get<TracerView[]>('/api/v1/tracers'),
  ]);
  switch (format) {
    case 'json':
      await writeOut(
        `${JSON.stringify({ api: client.url, status: health.data.status, uptimeSeconds: health.data.uptimeSeconds, ready: ready.data.ready, notReady: ready.data.notReady, tracers: tracers.data }, null, 2)}\n`,
      );
      break;
    case 'table': {
      const readiness = ready.data.ready ? 'ready' : 'NOT READY';
      let out = `agent ${client.url}: ${health.data.status}, up ${formatDuration(health.data.uptimeSeconds * 1000)}, ${readiness}\n`;
      for (const n of ready.data.notReady) out += `  not ready: ${n.kind} ${n.name} is ${n.state}${n.reason !== null ? ` (${n.reason})` : ''}\n`;
      out += tracers.data.length === 0 ? 'no tracer is configured\n' : `\n${renderTable(tracerColumns, tracers.data)}`;
      await writeOut(out);
      break;
    }
    default: {
      const never: never = format;
      return never;
    }
  }
  return ExitCode.ok;
}
