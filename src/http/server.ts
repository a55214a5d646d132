// The agent's HTTP server (node:http, no framework): /metrics, health, and /api/v1.
// Loopback by default. State-changing endpoints need `Authorization: Bearer <token>`:
// 401 when the header is missing or not a bearer token, 403 when the token is wrong.
// Hostile clients (docs/faults.md): a Host header that is not a name of this agent is a 421
// (DNS rebinding), idle connections are capped below the fd limit and closed at the
// headers timeout, and a request in flight at shutdown gets a 503 rather than a reset.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpConfig } from '../config/schema.js';
import type { AgentMetrics } from '../metrics/agent-metrics.js';
import { apiRoutes, type AgentTarget } from './api.js';
import { ConnectionGuard, effectiveMaxConnections, openFileLimit } from './connection-guard.js';
import { HttpError, HttpServerError } from './errors.js';
import { costRoutes } from './cost-routes.js';
import { faultRoutes } from './fault-routes.js';
import { checkHost, hostPolicy } from './host-check.js';
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
  /** The connection cap in force (http.maxConnections, lowered to a quarter of the fd limit). */
  readonly maxConnections: number;
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
    token = await loadOrCreateToken({ token: config.token, tokenFile: config.tokenFile, warn: (msg) => log('warn', `http: ${msg}`) });
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
    agent, metrics, hub, maxBodyBytes: config.maxBodyBytes, maxPageBytes: config.maxPageBytes, startedAt: Date.now(),
    onWatchersChanged: (n) => feed.setActive(n > 0),
  });
  routes.push(...faultRoutes(agent, config.maxBodyBytes)); // soak tests only: [] unless AUTOTRACER_FAULT_INJECTION=1
  routes.push(...costRoutes(agent, config.maxBodyBytes)); // POST /api/v1/cost/measure (docs/cost.md)
  let closing = false;

  // Node checks the headers and request timeouts only every connectionsCheckingInterval
  // (30 s by default), so a 10 s headers timeout used to close idle sockets after ~30 s.
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => void handle(req, res));
  server.requestTimeout = Math.max(60_000, config.headersTimeoutMs);
  server.headersTimeout = config.headersTimeoutMs;
  server.keepAliveTimeout = 5000;
  server.maxHeadersCount = 64;
  const fdLimit = openFileLimit();
  const maxConnections = effectiveMaxConnections(config.maxConnections, fdLimit);
  if (maxConnections < config.maxConnections) {
    log('warn', `http: http.maxConnections ${config.maxConnections} lowered to ${maxConnections} (a quarter of the open-file limit ${fdLimit}), so connections cannot starve tracers of file descriptors`);
  }
  const guard = new ConnectionGuard(server, maxConnections);
  const hosts = hostPolicy(config.host, config.allowedHosts);
  /** Requests not yet answered: at shutdown they get a 503 instead of a reset. */
  const inFlight = new Set<ServerResponse>();
  let evicted = 0;
  metrics.onRefresh(() => {
    metrics.httpOpenConnections.set(guard.size);
    metrics.httpConnectionsEvicted.inc(guard.counters.evicted - evicted);
    evicted = guard.counters.evicted;
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let routeLabel = 'unmatched';
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    try {
      checkHost(hosts, req.headers.host);
      if (closing) throw new HttpError(503, 'SHUTTING_DOWN', 'the agent is shutting down', { headers: { connection: 'close' } });
      if ((req.url ?? '').length > config.maxUrlBytes) throw new HttpError(414, 'URI_TOO_LONG', `the request URL exceeds ${config.maxUrlBytes} bytes`);
      const url = new URL(req.url ?? '/', 'http://agent.invalid');
      // HEAD is GET without the body (Node drops the body of a HEAD response).
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      const match = matchRoute(routes, method, url.pathname);
      if (match.kind === 'not-found') throw new HttpError(404, 'NOT_FOUND', `no endpoint ${url.pathname}`);
      if (match.kind === 'method-not-allowed') {
        routeLabel = match.pattern;
        const allowed = [...new Set(match.allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))].join(', ');
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here (allowed: ${allowed})`, { headers: { allow: allowed } });
      }
      routeLabel = match.route.pattern;
      if (match.route.auth) authorize(req, token);
      await match.route.handler({ req, res, url, params: match.params });
    } catch (err) {
      const reply = toErrorReply(err);
      // A request already answered (503 at shutdown) fails when its handler finally writes: not a bug to log.
      if (reply.code === 'INTERNAL' && !res.writableEnded) log('error', `http: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
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
    maxConnections,
    close: (graceMs = 2000) => closeServer(server, graceMs, () => {
      closing = true;
      feed.close();
      hub.close();
    }, () => answerAbandoned(inFlight)),
  };
}

/**
 * At the end of the shutdown grace, requests still waiting (a capture in flight) are told
 * so in words: a bare connection reset made the CLI suggest the agent was not running.
 */
function answerAbandoned(inFlight: Set<ServerResponse>): void {
  for (const res of inFlight) {
    if (res.headersSent) continue;
    sendError(res, {
      status: 503,
      code: 'SHUTTING_DOWN',
      message: 'the agent shut down before this request finished (a capture in progress is not stored)',
      headers: { connection: 'close', 'retry-after': '10' },
    });
  }
}

function authorize(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) throw new HttpError(503, 'TOKEN_UNAVAILABLE', 'the API token could not be loaded; see the agent log');
  const header = req.headers.authorization;
  const challenge = { 'www-authenticate': 'Bearer realm="autotracer"' };
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (m === null) throw new HttpError(401, 'UNAUTHORIZED', 'this endpoint needs "Authorization: Bearer <token>"', { headers: challenge });
  if (!tokensEqual(m[1]!, token)) throw new HttpError(403, 'FORBIDDEN', 'the bearer token is not valid');
}

async function closeServer(server: Server, graceMs: number, beforeClose: () => void, atGraceEnd: () => void): Promise<void> {
  beforeClose();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    atGraceEnd();
    // The 503s above are written; give them a moment to leave before the sockets go.
    setTimeout(() => server.closeAllConnections(), 100);
  }, graceMs);
  await closed;
  clearTimeout(timer);
}

export type { Route };
