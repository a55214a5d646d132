// Fault injection (soak tests only): with AUTOTRACER_FAULT_INJECTION=1 every crash kind,
// injected into an ordinary running tracer through Supervisor.injectFault, crashes it with
// the right classification and it is restarted, while a canary and a bystander are not
// disturbed; kinds a tracer cannot take are refused; the HTTP route needs the token and
// does not exist (404) when the variable is off.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULT_INJECTION_ENV, faultKinds, type FaultKind, type Isolation } from '../../src/actors/protocol.js';
import { httpConfigSchema } from '../../src/config/schema.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { AgentMetrics } from '../../src/metrics/agent-metrics.js';
import { testAddonPath } from '../../src/paths.js';
import type { CrashReason } from '../../src/supervisor/status.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { canaryReport, crashes, memoryStorage, tracer, waitFor } from '../supervisor/harness.js';

const TOKEN = 'soak-test-token-0123456789abcdef';

/** Expected classification of each kind, per isolation (V8 aborts a child on heap exhaustion). */
const expected: Record<Isolation, Partial<Record<FaultKind, CrashReason>>> = {
  thread: { throw: 'uncaught-exception', 'unhandled-rejection': 'unhandled-rejection', exit: 'exit', hang: 'hang', 'heap-oom': 'oom' },
  process: { throw: 'uncaught-exception', 'unhandled-rejection': 'unhandled-rejection', exit: 'exit', hang: 'hang', 'heap-oom': 'signal', segv: 'signal' },
};

interface Agent {
  supervisor: Supervisor;
  events: TracerEvent[];
  http: RunningHttpServer;
  stop(): Promise<void>;
}

/** A supervisor (in-memory storage) plus the real HTTP server, as main.ts wires them. */
async function startAgent(): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-soak-fi-'));
  // Default heartbeats (1 s, hang after 3 missed): a heap filling up to its cap must die
  // of the cap, not be mistaken for a hang by an impatient watchdog.
  const victim = { maxOldGenerationSizeMb: 32 };
  const supervisor = new Supervisor({
    storage: memoryStorage(dir),
    tracers: [
      tracer('canary', 'canary'),
      tracer('idle0', 'idle', { isolation: 'thread', ...victim }),
      tracer('idle1', 'idle', { isolation: 'process', ...victim }),
      tracer('idle2', 'idle'), // bystander
      tracer('idle3', 'idle'), // no heap cap
    ],
  });
  const events: TracerEvent[] = [];
  supervisor.on('tracer', (e) => events.push(e));
  await supervisor.start();
  const metrics = new AgentMetrics({ status: () => supervisor.status(), host: 'soak-test', region: '', defaultMetrics: false });
  const http = await startHttpServer({ agent: supervisor, metrics, config: httpConfigSchema.parse({ port: 0, token: TOKEN, tokenFile: join(dir, 'token') }) });
  return {
    supervisor, events, http,
    async stop() {
      await http.close();
      await supervisor.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postFault(http: RunningHttpServer, name: string, body: unknown, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${http.url}/api/v1/tracers/${name}/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function crashAndRestart(agent: Agent, name: string, inject: () => Promise<void> | void): Promise<CrashReason> {
  const before = crashes(agent.events, name).length;
  await waitFor(`${name} running`, () => agent.supervisor.tracerStatus(name).state === 'running', 10_000);
  await inject();
  const crash = await waitFor(`${name} to crash`, () => crashes(agent.events, name)[before], 20_000);
  await waitFor(`${name} restarted`, () => agent.supervisor.tracerStatus(name).state === 'running', 15_000);
  return crash.reason;
}

describe('fault injection with AUTOTRACER_FAULT_INJECTION=1', () => {
  let agent: Agent;
  const started = Date.now();
  before(async () => {
    process.env[FAULT_INJECTION_ENV] = '1';
    agent = await startAgent();
  });
  after(async () => {
    await agent?.stop();
    delete process.env[FAULT_INJECTION_ENV];
  });

  for (const isolation of ['thread', 'process'] as const) {
    const victim = isolation === 'thread' ? 'idle0' : 'idle1';
    for (const kind of faultKinds) {
      const reason = expected[isolation][kind];
      if (reason === undefined) continue;
      it(`${isolation}: ${kind} crashes the tracer as ${reason} and it is restarted`, async () => {
        if (kind === 'segv') assert.ok(existsSync(testAddonPath), `the test addon must be built: ${testAddonPath}`);
        const got = await crashAndRestart(agent, victim, () => agent.supervisor.injectFault(victim, kind));
        assert.equal(got, reason);
        const status = agent.supervisor.tracerStatus(victim);
        assert.equal(status.lastExit?.reason, reason);
        if (kind === 'exit') assert.equal(status.lastExit?.code, 3);
        if (kind === 'segv') assert.equal(status.lastExit?.signal, 'SIGSEGV');
        if (kind === 'heap-oom' && isolation === 'process') assert.equal(status.lastExit?.signal, 'SIGABRT');
      });
    }
  }

  it('the HTTP route injects with the bearer token and refuses without it', async () => {
    assert.equal((await postFault(agent.http, 'idle0', { kind: 'throw' }, null)).status, 401);
    assert.equal((await postFault(agent.http, 'idle0', { kind: 'throw' }, 'x'.repeat(32))).status, 403);
    assert.equal((await postFault(agent.http, 'idle0', { kind: 'explode' })).status, 400);
    assert.equal((await postFault(agent.http, 'nope', { kind: 'throw' })).status, 404);
    const reason = await crashAndRestart(agent, 'idle0', async () => {
      const res = await postFault(agent.http, 'idle0', { kind: 'exit' });
      assert.equal(res.status, 202, await res.clone().text());
    });
    assert.equal(reason, 'exit');
  });

  it('refuses kinds the tracer cannot take', async () => {
    assert.throws(() => agent.supervisor.injectFault('idle3', 'heap-oom'), { code: 'FAULT_UNSUPPORTED' });
    assert.throws(() => agent.supervisor.injectFault('idle0', 'segv'), { code: 'FAULT_UNSUPPORTED' });
    assert.throws(() => agent.supervisor.injectFault('missing', 'throw'), { code: 'UNKNOWN_TRACER' });
    const res = await postFault(agent.http, 'idle0', { kind: 'segv' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /whole agent/);
  });

  it('the canary and the bystanders were never restarted, and the canary never paused', () => {
    for (const name of ['canary', 'idle2', 'idle3']) assert.equal(agent.supervisor.tracerStatus(name).restarts, 0, `${name} was restarted`);
    const report = canaryReport(agent.events);
    assert.ok(report.count >= ((Date.now() - started) / 100) * 0.5, `canary saved only ${report.count} events`);
    assert.equal(report.missing, 0);
    assert.ok(report.maxGapMs <= 500, `canary gap ${report.maxGapMs} ms`);
  });
});

describe('fault injection without the variable', () => {
  let agent: Agent;
  before(async () => {
    delete process.env[FAULT_INJECTION_ENV];
    agent = await startAgent();
  });
  after(() => agent?.stop());

  it('the HTTP route does not exist (404) and the supervisor refuses', async () => {
    const res = await postFault(agent.http, 'idle0', { kind: 'throw' });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    assert.throws(() => agent.supervisor.injectFault('idle0', 'throw'), { code: 'FAULT_INJECTION_DISABLED' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(agent.supervisor.tracerStatus('idle0').restarts, 0);
  });
});

