// kill -9 at random moments while a producer stores events: nothing acknowledged is lost,
// and after draining, the fake ES holds every stored event exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventStore, storeOptionsFrom } from '../../src/storage/store.js';
import { FakeElasticsearch } from '../support/fake-es.js';
import { config, defer, tempDir } from './helpers.js';

const fixture = fileURLToPath(new URL('../fixtures/storage/crash-agent.js', import.meta.url));
const ROUNDS = Number(process.env.AUTOTRACER_TEST_KILL_ROUNDS ?? '20');

interface Run {
  child: ChildProcess;
  lines: string[];
  closed: Promise<void>;
  waitFor(line: string, timeoutMs: number): Promise<void>;
}

function run(mode: 'produce' | 'drain', cfg: unknown): Run {
  const child = spawn(process.execPath, [fixture, mode, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? ''; // an unterminated line was never fully acknowledged
    lines.push(...parts);
    for (const l of listeners) l();
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    lines,
    closed,
    waitFor(line, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (lines.includes(line)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${line} within ${timeoutMs} ms; last lines: ${lines.slice(-3).join(' | ')}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

test(`kill -9 the agent ${ROUNDS} times: every acknowledged event survives; ES gets each exactly once`, { timeout: 120_000 }, async (t) => {
  const fake = await FakeElasticsearch.start();
  defer(t, () => fake.close());
  const dir = tempDir(t, 'crash');
  const cfg = config({
    path: dir,
    hostname: 'crash-host',
    elasticsearch: { urls: [fake.url], maxLatencyMs: 150, backoff: { initialMs: 50, maxMs: 500 } },
  });
  const live = new Set<ChildProcess>();
  defer(t, () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  const acked: string[] = [];
  let ackedBeforeKill = 0;
  const started = Date.now();
  let startupMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const r = run('produce', cfg);
    live.add(r.child);
    const spawned = Date.now();
    await r.waitFor('READY', 15_000);
    startupMs += Date.now() - spawned;
    // a random moment: right after start, mid-stream, mid-request (the shipper starts after
    // READY, once the ES client is loaded, so the window reaches past that)
    await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 1500)));
    // a child that is already gone died on its own: say how, with its last words
    assert.ok(
      r.child.exitCode === null && r.child.signalCode === null && r.child.kill('SIGKILL'),
      `round ${round}: the agent exited before the kill (code ${r.child.exitCode}, signal ${r.child.signalCode}); last lines: ${r.lines.slice(-3).join(' | ')}`,
    );
    await r.closed;
    live.delete(r.child);
    assert.equal(r.child.signalCode, 'SIGKILL');
    const failures = r.lines.filter((l) => !l.startsWith('ACK ') && l !== 'READY');
    assert.deepEqual(failures, [], `round ${round} reported problems`);
    const ids = r.lines.filter((l) => l.startsWith('ACK ')).map((l) => l.slice(4));
    for (const id of ids) acked.push(id); // no spread: a fast machine acks enough ids to overflow the stack
    if (round === ROUNDS - 1) ackedBeforeKill = acked.length;
  }
  assert.ok(ackedBeforeKill > 100, `only ${ackedBeforeKill} events acknowledged over ${ROUNDS} rounds`);

  const killPhaseMs = Date.now() - started;
  const bulkRequestsWhileKilling = fake.stats.bulkRequests;
  const drain = run('drain', cfg);
  live.add(drain.child);
  await drain.waitFor('DRAINED', 60_000);
  await drain.waitFor('STOPPED', 15_000);
  await drain.closed;
  assert.equal(drain.child.exitCode, 0);

  const store = EventStore.open(storeOptionsFrom(cfg));
  defer(t, () => store.close());
  const missing = acked.filter((id) => store.get(id) === undefined);
  assert.deepEqual(missing, [], `${missing.length} acknowledged events lost`);
  assert.equal(new Set(acked).size, acked.length, 'no tracer_id acknowledged twice');

  // Everything committed (acknowledged or not yet acknowledged at the kill) is in ES once.
  const inStore: string[] = [];
  for (const { record } of store.outbox(0)) inStore.push(record.tracerId);
  assert.equal(store.backlog, 0);
  const inEs = fake.allIds().sort();
  assert.deepEqual(inEs, [...inStore].sort());
  for (const id of inStore) assert.equal(fake.stats.createdById.get(id), 1, `${id} created exactly once`);
  const replays = [...fake.stats.attemptsById.values()].filter((n) => n > 1).length;
  t.diagnostic(`rounds=${ROUNDS} acked=${acked.length} stored=${inStore.length} replayed(409)=${replays} bulk requests during the kill rounds=${bulkRequestsWhileKilling}`);
  t.diagnostic(`kill phase ${killPhaseMs} ms (start-up to READY ${startupMs} ms in total), drain ${Date.now() - started - killPhaseMs} ms`);
});
