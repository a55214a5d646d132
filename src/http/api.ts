// The endpoints of the agent's HTTP API (docs/http-api.md). Handlers talk to the
// supervisor only through `AgentTarget`, so tests and the CLI can run them on a real
// Supervisor without the rest of main.ts.
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { TriggerRequest } from '../actors/tracer-api.js';
import type { AgentMetrics } from '../metrics/agent-metrics.js';
import type { EventDocument } from '../event/index.js';
import type { EventQuery, SkippedRecord, StorageMetrics } from '../storage/protocol.js';
import type { ActorStatus, AgentStatus } from '../supervisor/status.js';
import type { TracerEvent } from '../supervisor/events.js';
import { FlameError, flameHeaders, renderEventFlame, type FlameFormat } from '../flame/index.js';
import { readJsonObject } from './body.js';
import { HttpError } from './errors.js';
import { streamListing } from './event-listing.js';
import { parseEventQuery, parseListingFields, parseWatchParams } from './params.js';
import { sendData } from './respond.js';
import type { RequestContext, Route } from './routes.js';
import type { WatchHub } from './watch-hub.js';

/** What the API needs from the supervisor (a subset of Supervisor). */
export interface AgentTarget {
  status(): AgentStatus;
  trigger(name: string, request?: TriggerRequest): Promise<void>;
  /** TRACER_ALREADY_RUNNING / TRACER_NOT_RUNNING (409), UNKNOWN_TRACER (404). */
  startTracer(name: string): Promise<ActorStatus>;
  stopTracer(name: string): Promise<ActorStatus>;
  /** Drains storage write latencies; read once per /metrics scrape. Optional for test doubles. */
  storageMetrics?(): { latest: StorageMetrics | undefined; writeLatencySeconds: number[] };
  query(query: EventQuery): Promise<{ events: EventDocument[]; cursor?: string; skipped?: SkippedRecord[] }>;
  getEvent(tracerId: string): Promise<EventDocument | undefined>;
  on(event: 'tracer', listener: (e: TracerEvent) => void): unknown;
  off(event: 'tracer', listener: (e: TracerEvent) => void): unknown;
}

export interface ApiDeps {
  agent: AgentTarget;
  metrics: AgentMetrics;
  hub: WatchHub;
  maxBodyBytes: number;
  /** Byte budget of one events page (http.maxPageBytes). */
  maxPageBytes: number;
  /** Called when a watch stream opens or closes (the stored-document relay runs only while watched). */
  onWatchersChanged(count: number): void;
  startedAt: number;
}

const triggerBodySchema = z.strictObject({
  containerId: z.string().min(1).max(256).optional(),
  reason: z.string().min(1).max(1024).optional(),
});

export function apiRoutes(deps: ApiDeps): Route[] {
  const { agent, metrics, hub } = deps;

  const tracerStatus = (name: string): ActorStatus => {
    const found = agent.status().actors.find((a) => a.kind === 'tracer' && a.name === name);
    if (found === undefined) throw new HttpError(404, 'UNKNOWN_TRACER', `no tracer named "${name}" is configured`);
    return found;
  };

  return [
    { method: 'GET', pattern: '/healthz', auth: false, handler: ({ res }) => sendData(res, 200, { status: 'ok', uptimeSeconds: (Date.now() - deps.startedAt) / 1000 }) },
    {
      method: 'GET', pattern: '/readyz', auth: false,
      // Ready = the agent can take and keep events: storage runs and can write, and this
      // server answers. Tracer states are not readiness (one tracer under development or
      // disabled by its budget must not take the agent out): /api/v1/tracers and metrics.
      handler: ({ res }) => {
        const status = agent.status();
        const notReady: { name: string; kind: string; state: string; reason: string | null }[] = status.actors
          .filter((a) => a.kind === 'storage' && a.state !== 'running')
          .map((a) => ({ name: a.name, kind: a.kind, state: a.state, reason: a.stateReason ?? null }));
        const degraded = status.storage?.degraded ?? null;
        if (degraded !== null && notReady.length === 0) {
          notReady.push({ name: 'storage', kind: 'storage', state: 'degraded', reason: `${degraded.reason}: ${degraded.message}` });
        }
        const storage = degraded !== null ? { state: 'degraded', reason: degraded.reason, code: degraded.code, since: new Date(degraded.since).toISOString() } : { state: notReady.length === 0 ? 'ok' : 'down' };
        sendData(res, notReady.length === 0 ? 200 : 503, { ready: notReady.length === 0, notReady, storage });
      },
    },
    {
      method: 'GET', pattern: '/metrics', auth: false,
      handler: async ({ res }) => {
        const text = await metrics.render();
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
        res.end(text);
      },
    },
    {
      method: 'GET', pattern: '/api/v1/tracers', auth: false,
      handler: ({ res }) => sendData(res, 200, agent.status().actors.filter((a) => a.kind === 'tracer').map(tracerView)),
    },
    // Memory per isolate (issue 14 item 8): the main thread, each actor's heap, the process RSS.
    { method: 'GET', pattern: '/api/v1/status/memory', auth: false, handler: ({ res }) => sendData(res, 200, memoryView(agent.status())) },
    { method: 'GET', pattern: '/api/v1/tracers/:name', auth: false, handler: ({ res, params }) => sendData(res, 200, tracerView(tracerStatus(params.name!))) },
    ...(['start', 'stop'] as const).map((action): Route => ({
      method: 'PUT', pattern: `/api/v1/tracers/:name/${action}`, auth: true,
      handler: async ({ res, params }) => {
        const name = params.name!;
        tracerStatus(name);
        // Graceful stop takes up to the tracer's shutdownMs + 2×killAfterMs; start up to its
        // startTimeoutMs. The reply is the tracer's status after the change.
        const status = action === 'start' ? await agent.startTracer(name) : await agent.stopTracer(name);
        sendData(res, 200, tracerView(status));
      },
    })),
    {
      method: 'POST', pattern: '/api/v1/tracers/:name/trigger', auth: true,
      handler: async ({ req, res, params }) => {
        const name = params.name!;
        tracerStatus(name);
        const parsed = triggerBodySchema.safeParse(await readJsonObject(req, deps.maxBodyBytes));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
          const what = issue?.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')}` : (issue?.message ?? 'invalid');
          throw new HttpError(400, 'BAD_REQUEST', `${where}: ${what}`);
        }
        const request: TriggerRequest = {};
        if (parsed.data.containerId !== undefined) request.containerId = parsed.data.containerId;
        if (parsed.data.reason !== undefined) request.reason = parsed.data.reason;
        try {
          await agent.trigger(name, request);
        } catch (err) {
          metrics.manualTriggers.inc({ tracer: name, result: 'error' });
          throw containerTriggerError(name, request, err);
        }
        metrics.manualTriggers.inc({ tracer: name, result: 'ok' });
        sendData(res, 200, { tracer: name, triggered: true });
      },
    },
    {
      method: 'GET', pattern: '/api/v1/events', auth: false,
      handler: async ({ res, url }) => {
        const query = parseEventQuery(url.searchParams);
        await streamListing(res, agent, query, { fields: parseListingFields(url.searchParams), maxPageBytes: deps.maxPageBytes });
      },
    },
    { method: 'GET', pattern: '/api/v1/events/watch', auth: false, handler: (ctx) => watch(ctx, deps, hub) },
    {
      method: 'GET', pattern: '/api/v1/events/:id', auth: false,
      handler: async ({ res, params }) => sendData(res, 200, await findEvent(agent, params.id!)),
    },
    // The event's profile as a picture (docs/flame.md): self-contained, nothing fetched.
    ...(['svg', 'html'] as const).map((format): Route => ({
      method: 'GET', pattern: `/api/v1/events/:id/flame.${format}`, auth: false,
      handler: async ({ res, params }) => sendFlame(res, await findEvent(agent, params.id!), format),
    })),
  ];
}

/**
 * Tracers that capture one container (dload, cpuidle, waitrate) refuse a trigger without a
 * known one with <TRACER>_NO_CONTAINER / <TRACER>_UNKNOWN_CONTAINER: that is the caller's
 * mistake, so it is a 400/404 telling what to pass, not a 500 with a stack in the log.
 */
function containerTriggerError(tracer: string, request: TriggerRequest, err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[A-Z0-9]+_(NO|UNKNOWN)_CONTAINER$/.test(code)) return err;
  if (request.containerId === undefined) {
    return new HttpError(400, 'TRACER_NEEDS_CONTAINER', `tracer "${tracer}" captures one container: it needs --container <id> (containerId in the request body)`, { cause: err });
  }
  return new HttpError(404, 'UNKNOWN_CONTAINER', `tracer "${tracer}" knows no container "${request.containerId}" (${(err as Error).message})`, { cause: err });
}

async function findEvent(agent: AgentTarget, id: string): Promise<EventDocument> {
  if (id.length === 0 || id.length > 128) throw new HttpError(404, 'EVENT_NOT_FOUND', 'no such event');
  const doc = await agent.getEvent(id);
  if (doc === undefined) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event with tracer_id "${id}"`);
  return doc;
}

function sendFlame(res: ServerResponse, doc: EventDocument, format: FlameFormat): void {
  let body: string | Buffer;
  try {
    body = renderEventFlame(doc, format);
  } catch (err) {
    if (!(err instanceof FlameError)) throw err;
    if (err.code === 'FLAME_NO_PROFILE') throw new HttpError(404, 'FLAME_NO_PROFILE', err.message);
    // A stored profile that does not parse (or a format the route does not offer): our bug.
    throw new HttpError(500, 'FLAME_BAD_PROFILE', err.message);
  }
  // Self-contained: a CSP that lets it run its own inline script and style and load nothing.
  res.writeHead(200, flameHeaders(format, body));
  res.end(body);
}

function watch({ req, res, url }: RequestContext, deps: ApiDeps, hub: WatchHub): void {
  const params = parseWatchParams(url.searchParams);
  if (hub.full) {
    hub.counters.refused++;
    deps.metrics.watchRefused.inc();
    throw new HttpError(429, 'TOO_MANY_SUBSCRIBERS', 'too many watch subscribers; retry later', { headers: { 'retry-after': '10' } });
  }
  // Headers first: the hub writes an opening comment as soon as it subscribes.
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  if (req.method === 'HEAD') {
    // HEAD gets the stream's headers, no subscription (it could never receive an event).
    res.end();
    return;
  }
  const unsubscribe = hub.subscribe(res, {
    includeData: params.includeData,
    ...(params.tracer !== undefined ? { tracer: params.tracer } : {}),
    ...(params.container !== undefined ? { container: params.container } : {}),
  });
  if (unsubscribe === undefined) {
    // Cannot happen after the `full` check (single-threaded); end the stream rather than hang.
    res.end();
    return;
  }
  deps.metrics.watchSubscribers.set(hub.size);
  deps.onWatchersChanged(hub.size);
  const done = (): void => {
    unsubscribe();
    deps.metrics.watchSubscribers.set(hub.size);
    deps.onWatchersChanged(hub.size);
  };
  req.socket.setTimeout(0);
  res.once('close', done);
}

/** Per-isolate memory and the look-back window (status --verbose). */
function memoryView(status: AgentStatus) {
  return {
    main: status.main ?? null,
    lookback: status.lookback ?? null,
    actors: status.actors.map((a) => ({ name: a.name, kind: a.kind, isolation: a.isolation, state: a.state, memory: a.memory ?? null })),
  };
}

/** The public view of a tracer. */
function tracerView(a: ActorStatus) {
  return {
    name: a.name,
    state: a.state,
    stateReason: a.stateReason ?? null,
    running: a.state === 'running',
    isolation: a.isolation,
    pid: a.pid ?? null,
    hits: a.hits,
    cooldownSkips: a.cooldownSkips,
    manualTriggers: a.manualTriggers,
    restarts: a.restarts,
    restartsByReason: a.restartsByReason,
    eventsSent: a.eventsSent,
    eventsStored: a.eventsStored,
    heartbeatAgeMs: a.heartbeatAgeMs ?? null,
    eventLoopUtilization: a.eventLoopUtilization,
    cpuSeconds: a.cpuSeconds,
    nextStartAt: a.nextStartAt ?? null,
    lastExit: a.lastExit ?? null,
    // The stack (source-mapped in the actor) is how a tracer author finds the crashing line.
    lastError: a.lastError === undefined ? null : { code: a.lastError.code ?? null, name: a.lastError.name, message: a.lastError.message, stack: a.lastError.stack ?? null },
  };
}
