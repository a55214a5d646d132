// `autotracer trigger <tracer>`: a manual capture now, bypassing thresholds and cooldown.
// The agent answers once the capture is stored (a CPU profile takes its full window, e.g.
// 10 s), so the wait shows progress; then the events it stored are looked up and printed.
import type { EventDocument } from '../../event/index.js';
import { AgentClient } from '../client.js';
import { clientContext, type GlobalOptions } from '../context.js';
import { ExitCode } from '../errors.js';
import { startProgress, writeOut } from '../output.js';
import { unknownTracerHint } from './tracers.js';

export interface TriggerOptions {
  container?: string;
  reason?: string;
  format: 'text' | 'json';
}

export async function runTrigger(globals: GlobalOptions, tracer: string, opts: TriggerOptions): Promise<number> {
  const client = new AgentClient(await clientContext(globals, 180_000));
  const body: { containerId?: string; reason?: string } = {};
  if (opts.container !== undefined) body.containerId = opts.container;
  if (opts.reason !== undefined) body.reason = opts.reason;
  const started = Date.now();
  const progress = startProgress(`triggering ${tracer}:`);
  progress.update('capturing (the agent answers once the event is stored)');
  try {
    await client.send('POST', `/api/v1/tracers/${encodeURIComponent(tracer)}/trigger`, { body, notFound: { hint: unknownTracerHint, code: 'UNKNOWN_TRACER' } });
    progress.update('stored, looking up the event');
    // The capture's events carry tracer_type "manual" and a tracer time (the agent's clock,
    // this host's) at or after the moment we asked; no slack, or the previous trigger's
    // event would be reported too. Best effort: listing them is a convenience.
    const { data } = await client.get<EventDocument[]>('/api/v1/events', { query: { tracer, from: started, limit: 20, order: 'asc' } });
    const manual = data.filter((d) => d.tracer_type === 'manual');
    const forContainer = manual.filter((d) => opts.container === undefined || d.container_id === opts.container);
    // A host-wide tracer (cpusys, iotracing, ...) stores its capture without a container even
    // when --container was given: report that event rather than "none found".
    const hostWide = opts.container !== undefined && forContainer.length === 0 && manual.length > 0;
    const events = hostWide ? manual : forContainer;
    progress.done();
    if (opts.format === 'json') {
      await writeOut(`${JSON.stringify({ tracer, triggered: true, events: events.map((e) => e.tracer_id) })}\n`);
    } else if (events.length === 0) {
      await writeOut(`${tracer}: triggered (no manual event found yet; \`autotracer events --tracer ${tracer}\` lists them)\n`);
    } else {
      const note = hostWide ? ` (host-wide: ${tracer} does not capture per container, --container was not used)` : '';
      await writeOut(events.map((e) => `${tracer}: triggered, event ${e.tracer_id}${note}\n`).join(''));
    }
  } finally {
    progress.done();
  }
  return ExitCode.ok;
}
