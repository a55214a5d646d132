// The agent's HTTP server (node:http, no framework): /metrics, health, and /api/v1.
// Loopback by default. State-changing endpoints need `Authorization: Bearer <token>`:
// 401 when the header is missing or not a bearer token, 403 when the token is wrong.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpConfig } from '../config/schema.js';
import type { AgentMetrics } from '../metrics/agent-metrics.js';
import { apiRoutes, type AgentTarget } from './api.js';
import { HttpError, HttpServerError } from './errors.js';
import { costRoutes } from './cost-routes.js';
import { faultRoutes } from './fault-routes.js';
import { sendError, toErrorReply } from './respond.js';
import { matchRoute, type Route } from './routes.js';
import { StoredRelay } from './stored-relay.js';
import { loadOrCreateToken, tokensEqual } from './token.js';
import { WatchHub } from './watch-hub.js';

export interface HttpServerOptions {
  agent: AgentTarget;
  metrics: AgentMetrics;
  config: HttpConfig;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

export interface RunningHttpServer {
  /** Where it listens (the real port when config.port is 0). */
  readonly address: { host: string; port: number };
  readonly url: string;
  /** Ends watch streams, stops accepting, waits for in-flight requests (bounded). */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { config, metrics, agent } = options;
  const log = options.log ?? (() => undefined);
  // A token problem must not take the read-only API and /metrics down with it: state-
  // changing requests are refused with 503 TOKEN_UNAVAILABLE instead.
  let token: string | undefined;
  try {
    token = await loadOrCreateToken({ token: config.token, tokenFile: config.tokenFile });
  } catch (err) {
    log('error', `http: ${(err as Error).message}; state-changing endpoints are disabled`);
  }

  const hub = new WatchHub(config.watch);
  const feed = new StoredRelay(agent, hub);
  let dropped = 0;
  metrics.onRefresh(() => {
    metrics.watchDropped.inc(hub.counters.dropped - dropped);
    dropped = hub.counters.dropped;
    metrics.watchSubscribers.set(hub.size);
    // The scrape is the one reader that drains the storage write latencies (each
    // observation lands in the histogram exactly once).
    if (agent.storageMetrics !== undefined) metrics.observeStorageWriteLatency(agent.storageMetrics().writeLatencySeconds);
  });
  const routes = apiRoutes({
    agent, metrics, hub, maxBodyBytes: config.maxBodyBytes, startedAt: Date.now(),
    onWatchersChanged: (n) => feed.setActive(n > 0),
  });
  routes.push(...faultRoutes(agent, config.maxBodyBytes)); // soak tests only: [] unless AUTOTRACER_FAULT_INJECTION=1
  routes.push(...costRoutes(agent, config.maxBodyBytes)); // POST /api/v1/cost/measure (docs/cost.md)
  let closing = false;

  const server = createServer((req, res) => void handle(req, res));
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 64;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let routeLabel = 'unmatched';
    try {
      if (closing) throw new HttpError(503, 'SHUTTING_DOWN', 'the agent is shutting down', { headers: { connection: 'close' } });
      if ((req.url ?? '').length > config.maxUrlBytes) throw new HttpError(414, 'URI_TOO_LONG', `the request URL exceeds ${config.maxUrlBytes} bytes`);
      const url = new URL(req.url ?? '/', 'http://agent.invalid');
      const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
      if (match.kind === 'not-found') throw new HttpError(404, 'NOT_FOUND', `no endpoint ${url.pathname}`);
      if (match.kind === 'method-not-allowed') {
        routeLabel = match.pattern;
        const allowed = [...new Set(match.allowed)].join(', ');
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here (allowed: ${allowed})`, { headers: { allow: allowed } });
      }
      routeLabel = match.route.pattern;
      if (match.route.auth) authorize(req, token);
      await match.route.handler({ req, res, url, params: match.params });
    } catch (err) {
      const reply = toErrorReply(err);
      if (reply.code === 'INTERNAL') log('error', `http: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      // A refused body may still be arriving: close the connection rather than read it.
      if (reply.status === 413) reply.headers.connection = 'close';
      sendError(res, reply);
    } finally {
      const method = req.method ?? 'UNKNOWN';
      const code = String(res.statusCode);
      metrics.httpRequests.inc({ route: routeLabel, method, code });
      metrics.httpDuration.observe({ route: routeLabel, method }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new HttpServerError('HTTP_LISTEN_FAILED', `cannot listen on ${config.host}:${config.port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log('error', `http: ${err.message}`));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log('info', `http: listening on http://${host}:${addr.port}`);

  return {
    address: { host: addr.address, port: addr.port },
    url: `http://${host}:${addr.port}`,
    close: (graceMs = 2000) => closeServer(server, graceMs, () => {
      closing = true;
      feed.close();
      hub.close();
    }),
  };
}

function authorize(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) throw new HttpError(503, 'TOKEN_UNAVAILABLE', 'the API token could not be loaded; see the agent log');
  const header = req.headers.authorization;
  const challenge = { 'www-authenticate': 'Bearer realm="autotracer"' };
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (m === null) throw new HttpError(401, 'UNAUTHORIZED', 'this endpoint needs "Authorization: Bearer <token>"', { headers: challenge });
  if (!tokensEqual(m[1]!, token)) throw new HttpError(403, 'FORBIDDEN', 'the bearer token is not valid');
}

async function closeServer(server: Server, graceMs: number, beforeClose: () => void): Promise<void> {
  beforeClose();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

export type { Route };
