// Shared set-up for the HTTP tests: a real Supervisor on the real LMDB storage actor with
// the fixture tracer, a real HTTP server on 127.0.0.1 port 0, and small request helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { get, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { httpConfigSchema, type HttpConfig } from '../../src/config/schema.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { AgentMetrics } from '../../src/metrics/agent-metrics.js';
import { tracerSpec, type TracerSpec } from '../../src/supervisor/spec.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';

export const storageModule = fileURLToPath(new URL('../../src/storage/actor.js', import.meta.url));
export const saverModule = fileURLToPath(new URL('../fixtures/http/saver.js', import.meta.url));
export const unavailableModule = fileURLToPath(new URL('../fixtures/tracers/unavailable.js', import.meta.url));

export const fastRestart = { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0, budgetCount: 20, budgetWindowMs: 60_000, disabledInitialMs: 500, disabledMaxMs: 2000, healthyResetMs: 60_000 };

export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-http-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Agent {
  supervisor: Supervisor;
  server: RunningHttpServer;
  token: string;
  dir: string;
}

export async function startAgent(t: TestContext, http: Partial<HttpConfig> = {}, tracers?: TracerSpec[]): Promise<Agent> {
  const dir = tempDir(t);
  const token = 'test-token-0123456789abcdef';
  const supervisor = new Supervisor({
    storage: {
      modulePath: storageModule, config: { path: join(dir, 'lmdb'), fsync: 'os' }, restart: fastRestart, heartbeatMs: 1000,
      missedHeartbeats: 3, shutdownMs: 3000, startTimeoutMs: 10_000, mailboxMaxEvents: 10_000,
    },
    tracers: tracers ?? [tracerSpec({ name: 'saver', modulePath: saverModule, restart: fastRestart, metricsIntervalMs: 100, shutdownMs: 2000, killAfterMs: 1000 })],
  });
  t.after(() => supervisor.stop());
  const metrics = new AgentMetrics({ status: () => supervisor.status(), host: 'test-host', region: 'test-region', defaultMetrics: true });
  const config = httpConfigSchema.parse({ port: 0, token, tokenFile: join(dir, 'token'), ...http });
  const server = await startHttpServer({ agent: supervisor, metrics, config, log: (level, msg) => { if (level !== 'info') console.error(`http ${level}: ${msg}`); } });
  t.after(() => server.close());
  await supervisor.start();
  return { supervisor, server, token, dir };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience over arbitrary JSON
}

export function call(base: string, method: string, path: string, options: { token?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An open watch stream: data frames, comments, and the moment the hub confirmed the subscription. */
export interface SseStream {
  frames: Array<{ event: string; data: string; id?: string }>;
  comments: string[];
  res: IncomingMessage;
  /** Resolves when the hub's opening `: watching` comment arrived (the subscription is live). */
  subscribed: Promise<void>;
  close(): void;
}

/** GET /api/v1/events/watch; a non-200 answer resolves as {status, body}. */
export function openWatch(base: string, query = ''): Promise<SseStream | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}/api/v1/events/watch${query}`, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        return;
      }
      let markSubscribed!: () => void;
      const subscribed = new Promise<void>((r) => (markSubscribed = r));
      const stream: SseStream = { frames: [], comments: [], res, subscribed, close: () => req.destroy() };
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const frame: { event: string; data: string; id?: string } = { event: 'message', data: '' };
          let isComment = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              const comment = line.slice(1).trim();
              stream.comments.push(comment);
              if (comment === 'watching') markSubscribed();
            }
            else {
              isComment = false;
              const [k, ...rest] = line.split(': ');
              const v = rest.join(': ');
              if (k === 'event') frame.event = v;
              else if (k === 'data') frame.data += v;
              else if (k === 'id') frame.id = v;
            }
          }
          if (!isComment) stream.frames.push(frame);
        }
      });
      res.on('error', () => undefined);
      resolve(stream);
    });
    req.on('error', reject);
  });
}
