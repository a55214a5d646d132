// Checks of what the agent itself needs from its configuration: a writable storage path,
// a reachable Elasticsearch (only when configured), and its HTTP port (free, or already
// held by a running autotracer).
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '../config/schema.js';
import { check, type CheckResult } from './doctor-report.js';

const ES_TIMEOUT_MS = 2000;

export function storagePathCheck(path: string): CheckResult {
  const title = 'storage path writable';
  const fatal = (r: CheckResult): CheckResult => ({ ...r, fatal: r.status === 'fail' });
  let existing = path;
  // Walk up to the nearest existing ancestor: the storage actor creates the rest.
  for (;;) {
    try {
      const st = statSync(existing);
      if (!st.isDirectory()) {
        return fatal(check('agent.storage', title, 'fail', `${existing} exists and is not a directory`, `set storage.path to a directory, or remove ${existing}`));
      }
      break;
    } catch {
      const up = dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  try {
    if (existing === path) {
      // Really write: a read-only mount passes access(W_OK) for root.
      rmSync(mkdtempSync(join(path, '.doctor-')), { recursive: true, force: true });
      return check('agent.storage', title, 'ok', path);
    }
    accessSync(existing, constants.W_OK);
    rmSync(mkdtempSync(join(existing, '.doctor-')), { recursive: true, force: true });
    return check('agent.storage', title, 'ok', `${path} (will be created under ${existing})`);
  } catch (err) {
    return fatal(check('agent.storage', title, 'fail', `${existing}: ${(err as Error).message}`, `make ${existing} writable by the agent's user, or set storage.path`));
  }
}

/** HEAD on the first URL with a 2 s timeout; any HTTP answer means reachable (401/403: credentials). */
export async function elasticsearchCheck(config: AgentConfig): Promise<CheckResult> {
  const title = 'Elasticsearch reachable';
  const es = config.storage.elasticsearch;
  if (es === undefined) return check('agent.elasticsearch', title, 'skip', 'not configured (events stay in LMDB)');
  const url = new URL(es.urls[0]!);
  const headers: Record<string, string> = {};
  if (es.apiKey !== undefined) headers.authorization = `ApiKey ${es.apiKey}`;
  else if (es.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${es.username}:${es.password ?? ''}`).toString('base64')}`;
  let ca: Buffer | undefined;
  if (es.caFile !== undefined) {
    try {
      ca = readFileSync(es.caFile);
    } catch (err) {
      return check('agent.elasticsearch', title, 'fail', `cannot read storage.elasticsearch.caFile: ${(err as Error).message}`, 'fix storage.elasticsearch.caFile');
    }
  }
  const started = Date.now();
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: 'HEAD', headers, timeout: ES_TIMEOUT_MS, ...(url.protocol === 'https:' ? { rejectUnauthorized: es.tls.rejectUnauthorized, ...(ca !== undefined ? { ca } : {}) } : {}) }, resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${ES_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
    res.resume();
    const ms = Date.now() - started;
    const code = res.statusCode ?? 0;
    if (code === 401 || code === 403) {
      return check('agent.elasticsearch', title, 'warn', `${url.origin} answered ${code} in ${ms} ms: credentials refused`, 'check storage.elasticsearch.username/password or apiKey');
    }
    return check('agent.elasticsearch', title, code < 500 ? 'ok' : 'warn', `${url.origin} answered ${code} in ${ms} ms`, 'the cluster reports an error; events wait in LMDB until it recovers');
  } catch (err) {
    return check('agent.elasticsearch', title, 'warn', `${url.origin}: ${(err as Error).message}`,
      'events are kept in LMDB and shipped once it is reachable; check storage.elasticsearch.urls and the network');
  }
}

function listenProbe(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Whether an autotracer answers /healthz there (its { data: { status: 'ok', uptimeSeconds } } envelope). */
function ourAgentAt(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest({ host, port, path: '/healthz', method: 'GET', timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 4096) body += chunk; });
      res.on('end', () => {
        try {
          const data = (JSON.parse(body) as { data?: { status?: unknown; uptimeSeconds?: unknown } }).data;
          resolve(data?.status === 'ok' && typeof data.uptimeSeconds === 'number' ? data.uptimeSeconds : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export async function httpPortCheck(config: AgentConfig): Promise<CheckResult> {
  const { enabled, host, port } = config.http;
  const title = 'HTTP port';
  if (!enabled) return check('agent.http', title, 'skip', 'http.enabled is false');
  const where = `${host}:${port}`;
  const err = await listenProbe(host, port);
  if (err === undefined) return check('agent.http', title, 'ok', `${where} is free`);
  if (err.code === 'EADDRINUSE') {
    const uptime = await ourAgentAt(host, port);
    if (uptime !== undefined) return check('agent.http', title, 'ok', `${where} held by a running autotracer (up ${Math.round(uptime)} s)`);
    return { ...check('agent.http', title, 'fail', `${where} is in use by another program`, `find it with: ss -ltnp 'sport = :${port}'; or set http.port`), fatal: true };
  }
  return { ...check('agent.http', title, 'fail', `cannot listen on ${where}: ${err.code ?? err.message}`, 'set http.host to an address of this machine, or http.port'), fatal: true };
}
