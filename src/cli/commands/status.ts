// `autotracer status`: is the agent up and ready, and how is each tracer doing.
import type { Health, MemoryStatus, Readiness, TracerView } from '../api-types.js';
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

type MemoryRow = MemoryStatus['actors'][number];
const mb = (n: number | undefined): string => (n === undefined ? '-' : `${(n / 1048576).toFixed(1)}M`);

/**
 * Heap per isolate is the actor's own; RSS is per process, so a worker thread's row shows
 * "shared" (its memory is inside the agent's RSS on the main row) and only a process-isolated
 * actor has an RSS of its own.
 */
export const memoryColumns: Column<MemoryRow>[] = [
  { header: 'ISOLATE', value: (a) => `${a.kind === 'storage' ? 'storage' : a.name}` },
  { header: 'ISOLATION', value: (a) => a.isolation },
  { header: 'HEAP USED', value: (a) => mb(a.memory?.heapUsed), right: true },
  { header: 'HEAP TOTAL', value: (a) => mb(a.memory?.heapTotal), right: true },
  { header: 'EXTERNAL', value: (a) => mb(a.memory?.external), right: true },
  { header: 'BUFFERS', value: (a) => mb(a.memory?.arrayBuffers), right: true },
  { header: 'RSS', value: (a) => (a.memory === null ? '-' : a.isolation === 'process' ? mb(a.memory.processRss) : 'shared'), right: true },
];

function memoryTable(m: MemoryStatus): string {
  const main: MemoryRow = { name: 'main thread', kind: 'main', isolation: 'main', state: 'running', memory: m.main };
  const rows = [main, ...m.actors];
  let out = `\nmemory: agent process RSS ${mb(m.main?.processRss)} (main thread + every worker thread + native memory)\n${renderTable(memoryColumns, rows)}`;
  const lb = m.lookback;
  if (lb !== null) {
    const facts = lb.state === 'running'
      ? `${String(lb.frequency)} Hz, ${String(lb.samples)} samples in ${String(lb.buckets)} s, ${String(lb.stacks)} stacks (~${mb(Number(lb.approxBytes))} in BPF maps), dropped ${String(lb.dropped)}`
      : (lb.reason ?? '');
    out += `look-back: ${lb.state}${facts === '' ? '' : ` (${facts})`}\n`;
  }
  return out;
}

export async function runStatus(globals: GlobalOptions, format: StatusFormat, verbose = false): Promise<number> {
  const client = new AgentClient(await clientContext(globals));
  const [health, ready, tracers, memory] = await Promise.all([
    client.get<Health>('/healthz'),
    client.get<Readiness>('/readyz', { accept: [503] }),
    client.get<TracerView[]>('/api/v1/tracers'),
    verbose ? client.get<MemoryStatus>('/api/v1/status/memory') : undefined,
  ]);
  switch (format) {
    case 'json':
      await writeOut(
        `${JSON.stringify({ api: client.url, status: health.data.status, uptimeSeconds: health.data.uptimeSeconds, ready: ready.data.ready, notReady: ready.data.notReady, storage: ready.data.storage ?? null, tracers: tracers.data, ...(memory === undefined ? {} : { memory: memory.data }) }, null, 2)}\n`,
      );
      break;
    case 'table': {
      const readiness = ready.data.ready ? 'ready' : 'NOT READY';
      let out = `agent ${client.url}: ${health.data.status}, up ${formatDuration(health.data.uptimeSeconds * 1000)}, ${readiness}\n`;
      const storage = ready.data.storage;
      // Only when something is wrong: the readiness word above already says "ready".
      if (storage !== undefined && storage.state !== 'ok') out += `storage: ${storage.state}${storage.reason !== undefined ? ` (${storage.reason}${storage.since !== undefined ? ` since ${storage.since}` : ''})` : ''}\n`;
      for (const n of ready.data.notReady) out += `  not ready: ${n.kind} ${n.name} is ${n.state}${n.reason !== null ? ` (${n.reason})` : ''}\n`;
      out += tracers.data.length === 0 ? 'no tracer is configured\n' : `\n${renderTable(tracerColumns, tracers.data)}`;
      if (memory !== undefined) out += memoryTable(memory.data);
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
