// Runs the real agent (`node <build>/src/cli/main.js run --config <tmp>`) the way an operator
// would, but isolated: LMDB storage, the API token file and the config live in a temp dir, the
// HTTP API listens on an ephemeral loopback port (read back from the agent's log), and the
// process is stopped by its own PID only.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError, timedOut } from '../errors.js';
import { onCleanup } from './cleanup.js';

const agentMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface AgentOptions {
  /** Merged over the isolated storage/http settings; `tracers` as in the config file. */
  config?: Record<string, unknown>;
  /** How long to wait for "autotracer running" (ms). */
  readyTimeoutMs?: number;
  /** Extra environment for the agent (e.g. the systemd unit's MALLOC_ARENA_MAX=2). */
  env?: Record<string, string>;
}

export interface RunningAgent {
  pid: number;
  dir: string;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  readyAt: number;
  output(): string;
  /** GET a JSON document from the API. */
  get<T>(path: string): Promise<T>;
  /** SIGTERM, wait for the exit (SIGKILL after 15 s), remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions = {}): Promise<RunningAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-bench-agent-'));
  const given = options.config ?? {};
  const config = {
    ...given,
    storage: { path: join(dir, 'data'), ...(given.storage as object | undefined) },
    http: { port: 0, tokenFile: join(dir, 'api-token'), ...(given.http as object | undefined) },
  };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(process.execPath, [agentMain, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUTOTRACER_LOG_LEVEL: 'info', ...options.env } });
  if (child.pid === undefined) throw new BenchError('BENCH_AGENT_START', `could not spawn ${agentMain}`);
  const pid = child.pid;
  let out = '';
  // Keep only the tail: a long run must not grow the benchmark's own memory.
  const append = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 256 * 1024) out = out.slice(-128 * 1024);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stopped = false;
  const unregister = onCleanup(`agent pid ${pid}`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!done) child.kill('SIGKILL');
      await exited;
    }
    await unregister();
  };

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new BenchError('BENCH_AGENT_EXIT', `the agent exited during start-up (${child.exitCode ?? child.signalCode}):\n${out.slice(-2000)}`);
      }
      port ??= Number(/http: listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? NaN) || undefined;
      if (/autotracer running/.test(out)) break;
      if (Date.now() > deadline) throw timedOut(`the agent to report "autotracer running"; output:\n${out.slice(-2000)}`, timeoutMs);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  if (port === undefined) {
    await stop();
    throw new BenchError('BENCH_AGENT_START', `the agent did not log its HTTP port:\n${out.slice(-2000)}`);
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    pid,
    dir,
    baseUrl,
    readyAt: Date.now(),
    output: () => out,
    async get<T>(path: string): Promise<T> {
      const res = await fetch(`${baseUrl}${path}`);
      const body = await res.text();
      if (!res.ok) throw new BenchError('BENCH_AGENT_EXIT', `GET ${path}: HTTP ${res.status}: ${body.slice(0, 500)}`);
      return JSON.parse(body) as T;
    },
    stop,
  };
}

/** Every tracer the catalog knows, with `isolation` set (and `enabled` left to its default). */
export function isolationFor(names: readonly string[], isolation: 'thread' | 'process'): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, { isolation }]));
}
