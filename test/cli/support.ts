// Shared set-up for the CLI tests: run the compiled CLI as a child process, and spawn the
// real agent (`main.js run`) with an isolated config (port 0, storage, token file and
// config in a temp dir, the default tracers off). Everything started here is killed by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';

export const cliMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Runs `node main.js ...args`; stdout/stderr are pipes (not TTYs), as in a script. */
export function runCli(args: readonly string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // The runner's own AUTOTRACER_TOKEN must not leak into a test.
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.AUTOTRACER_TOKEN;
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const child = spawn(process.execPath, [cliMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`autotracer ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms; stderr: ${err}`));
    }, options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: err });
    });
  });
}

export function makeTempDir(prefix = 'autotracer-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string | undefined): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

/** Every tracer the catalog enables by default, switched off (their own tests cover them). */
export const defaultTracersOff: Record<string, { enabled: false }> = Object.fromEntries(
  Object.entries(builtinTracers).filter(([, e]) => e.enabledByDefault).map(([name]) => [name, { enabled: false as const }]),
);

/** A config confined to `dir`: storage, token file and port 0, unless overridden. */
export function writeConfig(dir: string, config: Record<string, unknown>, name = 'config.json'): string {
  const file = join(dir, name);
  const isolated = {
    ...config,
    storage: { path: join(dir, 'data'), fsync: 'os', ...(config.storage as object | undefined) },
    http: { port: 0, tokenFile: join(dir, 'api-token'), ...(config.http as object | undefined) },
    tracers: { ...defaultTracersOff, ...(config.tracers as object | undefined) },
  };
  writeFileSync(file, JSON.stringify(isolated));
  return file;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export interface AgentProcess {
  child: ChildProcess;
  base: string;
  port: number;
  dir: string;
  dataDir: string;
  tokenFile: string;
  token: string;
  config: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Spawns the real agent and waits until its API answers and it is ready. */
export interface AgentProcessOptions {
  /** The command and its options instead of `run` (e.g. ['dev', 'example']). */
  command?: string[];
  /** Another build's main.js (a copy of the repository). */
  main?: string;
  env?: Record<string, string>;
}

export async function startAgentProcess(dir: string, config: Record<string, unknown>, options: AgentProcessOptions = {}): Promise<AgentProcess> {
  const configFile = writeConfig(dir, config);
  const child = spawn(process.execPath, [options.main ?? cliMain, ...(options.command ?? ['run']), '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AUTOTRACER_STORAGE_MODULE: '', ...options.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const base = await waitFor('the agent\'s "listening on" line', () => /http: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined));
    if (base === 'exited') throw new Error(`the agent exited: ${out}`);
    await waitFor('the agent to be ready', async () => (await fetch(`${base}/readyz`)).status === 200);
    // Readiness is storage + HTTP only (a tracer under development must not fail it), so a
    // tracer may not have started yet ('stopped' before its first start, then 'starting'):
    // tests that trigger or list it wait until each one got past its start.
    await waitFor('the tracers to have started', async () => {
      const tracers = ((await (await fetch(`${base}/api/v1/tracers`)).json()) as { data: { state: string }[] }).data;
      return tracers.every((t) => t.state !== 'starting' && t.state !== 'stopped');
    });
    const tokenFile = join(dir, 'api-token');
    return {
      child, base, port: Number(new URL(base).port), dir, dataDir: join(dir, 'data'), tokenFile,
      token: readFileSync(tokenFile, 'utf8').trim(), config: configFile, output: () => out, stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A loopback port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
