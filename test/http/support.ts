// Shared set-up for the HTTP tests: a real Supervisor on the real LMDB storage actor with
// the fixture tracer, a real HTTP server on 127.0.0.1 port 0, and small request helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
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
