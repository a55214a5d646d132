// `autotracer tracers list|start <name>|stop <name>`.
import type { TracerView } from '../api-types.js';
import { AgentClient } from '../client.js';
import { clientContext, type GlobalOptions } from '../context.js';
import { ExitCode } from '../errors.js';
import { printError, startProgress, writeOut } from '../output.js';
import { renderTable, type Column } from '../table.js';

const listColumns: Column<TracerView>[] = [
  { header: 'TRACER', value: (t) => t.name },
  { header: 'STATE', value: (t) => t.state },
  { header: 'ISOLATION', value: (t) => t.isolation },
  { header: 'PID', value: (t) => (t.pid === null ? '-' : String(t.pid)), right: true },
  { header: 'RESTARTS', value: (t) => String(t.restarts), right: true },
  { header: 'HITS', value: (t) => String(t.hits), right: true },
  { header: 'SKIPS', value: (t) => String(t.cooldownSkips), right: true },
  { header: 'MANUAL', value: (t) => String(t.manualTriggers), right: true }, // = tracer_manual_triggers_total
  { header: 'EVENTS', value: (t) => String(t.eventsStored), right: true },
  { header: 'REASON', value: (t) => t.stateReason ?? '', max: 60 },
];

export const unknownTracerHint = '`autotracer tracers list` shows the configured tracers; enable one in the config file (tracers.<name>.enabled)';

export async function runTracersList(globals: GlobalOptions, format: 'table' | 'json'): Promise<number> {
  const client = new AgentClient(await clientContext(globals));
  const { data } = await client.get<TracerView[]>('/api/v1/tracers');
  if (format === 'json') await writeOut(`${JSON.stringify(data, null, 2)}\n`);
  else await writeOut(data.length === 0 ? 'no tracer is configured\n' : renderTable(listColumns, data));
  return ExitCode.ok;
}

export async function runTracerAction(globals: GlobalOptions, action: 'start' | 'stop', name: string): Promise<number> {
  // A graceful stop waits for the tracer's shutdownMs plus kill escalation; a start for its
  // startTimeoutMs: allow more than a plain read.
  const client = new AgentClient(await clientContext(globals, 60_000));
  const progress = startProgress(`${action === 'start' ? 'starting' : 'stopping'} ${name}`);
  try {
    const { data } = await client.send<TracerView>('PUT', `/api/v1/tracers/${encodeURIComponent(name)}/${action}`, {
      notFound: { hint: unknownTracerHint },
    });
    progress.done();
    await writeOut(`${data.name}: ${data.state}${data.stateReason !== null ? ` (${data.stateReason})` : ''}\n`);
    // The agent answers a start once the tracer showed a sign of life, or once it crashed:
    // a tracer that is not running now did not start, whatever the HTTP status says.
    if (action === 'start' && !data.running) {
      printStartFailure(data);
      return ExitCode.failure;
    }
  } finally {
    progress.done();
  }
  return ExitCode.ok;
}

/** The one-line error and hint, then the tracer's last error with its (source-mapped) stack. */
export function printStartFailure(view: TracerView): void {
  const error = view.lastError;
  const why = error === null ? view.state : `${view.state}: ${error.code !== null ? `${error.code}: ` : ''}${error.message}`;
  printError(`${view.name} did not start (${why})`, 'fix it, rebuild, then `autotracer tracers start ' + view.name + '` again (the crash budget is reset)');
  if (error?.stack) process.stderr.write(`${error.stack}\n`);
}
