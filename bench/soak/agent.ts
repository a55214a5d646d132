// One agent process of the soak (the real CLI entry, AUTOTRACER_FAULT_INJECTION=1): spawn,
// learn its HTTP port from its log, talk to its API, SIGTERM or kill -9 it. Its log goes to
// a file in the run's temp dir. Only this PID (and, after a kill -9, its own orphaned
// process-isolated tracers, by PID) is ever signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultKind } from '../../src/actors/protocol.js';
import { SoakError } from './errors.js';
import { processTree } from './measure.js';

const mainJs = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** The fields of GET /api/v1/tracers the soak reads. */
export interface TracerView {
  name: string;
  state: string;
  isolation: 'thread' | 'process';
  pid: number | null;
  restarts: number;
  restartsByReason: Record<string, number>;
  lastExit: { at: number; reason: string; code: number | null; signal: string | null } | null;
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class AgentProcess {
  readonly startedAt = Date.now();
  readonly exited: Promise<AgentExit>;
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private url: string | undefined;
  private output = '';

  constructor(configFile: string, logFile: string, private readonly token: string) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [mainJs, 'run', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AUTOTRACER_FAULT_INJECTION: '1', AUTOTRACER_STORAGE_MODULE: '' },
    });
    const onData = (d: Buffer): void => {
      this.log.write(d);
      // Only the start-up lines are needed in memory (the port, "running").
      if (this.output.length < 64 * 1024) this.output += d.toString();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      this.log.end();
      resolve({ code, signal });
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once "autotracer running" is logged and the API answers. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) throw new SoakError('SOAK_AGENT_START', `the agent exited during start-up:\n${this.output.slice(-2000)}`);
      const m = /http: listening on (http:\/\/[^\s]+)/.exec(this.output);
      if (m !== null) this.url = m[1];
      if (this.url !== undefined && /autotracer running/.test(this.output)) return;
      await sleep(100);
    }
    throw new SoakError('SOAK_AGENT_START', `the agent did not start within ${timeoutMs} ms:\n${this.output.slice(-2000)}`);
  }

  async tracers(): Promise<TracerView[]> {
    return ((await this.get('/api/v1/tracers')) as { data: TracerView[] }).data;
  }

  async tracer(name: string): Promise<TracerView> {
    return ((await this.get(`/api/v1/tracers/${name}`)) as { data: TracerView }).data;
  }

  /** One sample of a Prometheus gauge without labels, or undefined. */
  async metric(name: string): Promise<number | undefined> {
    const text = await this.request('GET', '/metrics');
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]);
  }

  /** GET /readyz (200 or 503) and the storage state it reports (bench/soak/disk-full.ts). */
  async readiness(): Promise<{ status: number; storage: string | undefined }> {
    const res = await fetch(`${this.baseUrl()}/readyz`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { data?: { storage?: { state?: string } } };
    return { status: res.status, storage: body.data?.storage?.state };
  }

  /** Restarts of the storage actor by reason (autotracer_actor_restarts_total, kind storage). */
  async storageRestarts(): Promise<Record<string, number>> {
    const text = await this.request('GET', '/metrics');
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^autotracer_actor_restarts_total\{([^}]*)\} ([0-9.e+-]+)$/gm)) {
      const labels = m[1]!;
      if (!/kind="storage"/.test(labels)) continue;
      const reason = /reason="([^"]+)"/.exec(labels)?.[1] ?? 'unknown';
      out[reason] = (out[reason] ?? 0) + Number(m[2]);
    }
    return out;
  }

  /** POST /api/v1/tracers/:name/fault; resolves with the HTTP status. */
  async injectFault(name: string, kind: FaultKind): Promise<{ status: number; body: string }> {
    const res = await fetch(`${this.baseUrl()}/api/v1/tracers/${name}/fault`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind }),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.text() };
  }

  /** PUT /api/v1/tracers/:name/stop (graceful); resolves with the HTTP status. */
  async stopTracer(name: string): Promise<number> {
    const res = await fetch(`${this.baseUrl()}/api/v1/tracers/${name}/stop`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    await res.text();
    return res.status;
  }

  /** kill -9 of the agent process, then of any of its process-isolated tracers left behind. */
  async killHard(): Promise<number[]> {
    const orphans = processTree(this.pid).filter((p) => p !== this.pid);
    this.child.kill('SIGKILL');
    await this.exited;
    // A forked tracer leaves on its own when its IPC channel closes; make sure.
    await sleep(1000);
    const left: number[] = [];
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
        left.push(pid);
      } catch {
        /* already gone */
      }
    }
    return left;
  }

  /** SIGTERM and wait for the graceful exit (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<AgentExit & { forced: boolean }> {
    if (!this.alive) return { ...(await this.exited), forced: false };
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, forced: exit.signal === 'SIGKILL' };
  }

  /** The API base URL (the connection-flood phase connects to it directly). */
  apiUrl(): string {
    return this.baseUrl();
  }

  /** An authorized POST to a tracer that does not exist: 404 means the token was accepted. */
  async probeAuthorized(): Promise<number> {
    const res = await fetch(`${this.baseUrl()}/api/v1/tracers/flood-probe/trigger`, {
      method: 'POST', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    return res?.status ?? 0;
  }

  private baseUrl(): string {
    if (this.url === undefined) throw new SoakError('SOAK_API', 'the agent API is not up yet');
    return this.url;
  }

  private async get(path: string): Promise<unknown> {
    return JSON.parse(await this.request('GET', path)) as unknown;
  }

  private async request(method: string, path: string): Promise<string> {
    const res = await fetch(`${this.baseUrl()}${path}`, { method, signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (!res.ok) throw new SoakError('SOAK_API', `${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text;
  }
}
