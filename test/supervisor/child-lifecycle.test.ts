// The shared child lifecycle (src/supervisor/child-lifecycle.ts) on its own, on real worker
// threads and real forked processes (test/fixtures/supervisor/lifecycle-child.ts): the boot
// race (ready / exit / deadline), the watchdog, exit → restart policy → restart timer, a
// stop that cancels a pending restart, and the stop escalation.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Isolation } from '../../src/actors/protocol.js';
import { createHost, type ExitInfo } from '../../src/supervisor/actor-host.js';
import { ChildLifecycle, childInstance, type BootOutcome, type ChildInstance, type StopPlan } from '../../src/supervisor/child-lifecycle.js';
import type { RestartDecision, RestartPolicyConfig } from '../../src/supervisor/restart-policy.js';
import { initialActorStatus, type CrashReason } from '../../src/supervisor/status.js';
import type { FixtureIn, FixtureOut, LifecycleFixtureMode } from '../fixtures/supervisor/lifecycle-child.js';
import { waitFor } from './harness.js';

const fixturePath = fileURLToPath(new URL('../fixtures/supervisor/lifecycle-child.js', import.meta.url));

type Instance = ChildInstance<FixtureIn, FixtureOut>;

/** A bug that leaves a wait unanswered fails the test instead of hanging the run. */
const bounded = { timeout: 90_000 };

/** The machine is shared and often loaded: a fork may take seconds before it answers. */
const slowMs = 30_000;

/** No jitter, so the restart delay is exactly initialDelayMs; a budget of 2 crashes. */
const restart: RestartPolicyConfig = {
  initialDelayMs: 300, maxDelayMs: 300, factor: 1, jitter: 0, budgetCount: 2, budgetWindowMs: 60_000,
  disabledInitialMs: 5000, disabledMaxMs: 5000, healthyResetMs: 60_000,
};

interface Probe {
  life: ChildLifecycle<FixtureIn, FixtureOut, Instance>;
  status: ReturnType<typeof initialActorStatus>;
  instances: Instance[];
  /** Every exit of a current instance, with what onExit returned. */
  exits: { exit: ExitInfo; crash: CrashReason | undefined; killedFor: Instance['killedFor'] }[];
  crashes: { reason: CrashReason; decision: RestartDecision; at: number }[];
  /** Boot outcomes of the instances the restart timer spawned, with when it fired. */
  restarts: { at: number; outcome?: BootOutcome }[];
  stopPlan: StopPlan<Instance>;
  stuck: number;
}

/**
 * A child on the lifecycle whose n-th instance runs `modes[n]` (the last mode repeats).
 * Its exits are crashes unless it is stopping; it restarts while the policy says restart.
 * Teardown stops it and kills any instance still alive (only the ones it started).
 */
function probe(t: TestContext, isolation: Isolation, modes: LifecycleFixtureMode[], timing: { startTimeoutMs?: number; heartbeatMs?: number; restartDelayMs?: number } = {}): Probe {
  const status = initialActorStatus('probe', 'tracer', isolation);
  const p = { status, instances: [], exits: [], crashes: [], restarts: [], stuck: 0 } as unknown as Probe;
  p.life = new ChildLifecycle<FixtureIn, FixtureOut, Instance>(
    { restart: { ...restart, ...(timing.restartDelayMs !== undefined ? { initialDelayMs: timing.restartDelayMs, maxDelayMs: timing.restartDelayMs } : {}) }, startTimeoutMs: timing.startTimeoutMs ?? 30_000, heartbeatMs: timing.heartbeatMs ?? 250, missedHeartbeats: 3 },
    status,
    {
      createInstance: () => {
        const mode = modes[Math.min(p.instances.length, modes.length - 1)]!;
        const host = createHost<FixtureIn, FixtureOut>(isolation, fixturePath, isolation === 'thread' ? { workerData: { mode } } : { env: { LIFECYCLE_FIXTURE_MODE: mode } });
        const inst = childInstance(host);
        p.instances.push(inst);
        return inst;
      },
      onMessage: (inst, msg) => {
        if (msg.type === 'heartbeat') p.life.heartbeat(inst, undefined);
        else inst.settleBoot(msg.type);
      },
      ping: { type: 'ping' },
      onExit: (inst, exit) => {
        const crash = inst.stopping || p.life.stopping ? undefined : inst.killedFor ?? (exit.signal !== null ? 'signal' : 'exit');
        p.exits.push({ exit, crash, killedFor: inst.killedFor });
        return crash;
      },
      onCrash: (_inst, reason, decision) => {
        p.crashes.push({ reason, decision, at: Date.now() });
        return decision.action === 'restart';
      },
      restart: async () => {
        const entry: Probe['restarts'][number] = { at: Date.now() };
        p.restarts.push(entry);
        entry.outcome = await p.life.boot(p.life.spawn());
      },
    },
  );
  p.stopPlan = {
    request: (inst) => inst.host.send({ type: 'stop' }),
    graceMs: 500,
    escalation: [{ step: 'terminate', waitMs: 1000 }, { step: 'kill', waitMs: 1000 }],
    onStuck: () => p.stuck++,
  };
  t.after(async () => {
    await p.life.stop(p.stopPlan);
    for (const inst of p.instances) if (inst.host.alive) inst.host.kill();
    await Promise.all(p.instances.map((i) => i.host.exited));
  });
  return p;
}

for (const isolation of ['thread', 'process'] as const) {
  test(`boot race (${isolation}): ready wins; a stop is graceful and not a crash`, bounded, async (t) => {
    const p = probe(t, isolation, ['ready']);
    p.life.resume();
    const inst = p.life.spawn();
    assert.equal(await p.life.boot(inst), 'ready');
    assert.ok(inst.host.alive);
    assert.equal(inst.killedFor, undefined);
    await waitFor('a heartbeat', () => inst.lastHeartbeat !== undefined, slowMs);
    assert.equal(await p.life.stop(p.stopPlan), 'graceful');
    await waitFor('the exit to be handled', () => p.exits.length === 1, slowMs);
    assert.equal(p.exits[0]!.crash, undefined);
    assert.equal(p.status.restarts, 0);
    assert.equal(await p.life.stop(p.stopPlan), 'not-running');
  });

  test(`boot race (${isolation}): exit wins; the crash is counted and a restart is armed`, bounded, async (t) => {
    const p = probe(t, isolation, ['exit-at-boot', 'ready']);
    p.life.resume();
    const first = p.life.spawn();
    const started = Date.now();
    assert.equal(await p.life.boot(first), 'exited');
    assert.equal((await first.host.exited).code, 3);
    await waitFor('the crash', () => p.crashes.length === 1, slowMs);
    assert.equal(p.crashes[0]!.reason, 'exit');
    assert.deepEqual({ action: p.crashes[0]!.decision.action, delayMs: p.crashes[0]!.decision.delayMs }, { action: 'restart', delayMs: restart.initialDelayMs });
    assert.equal(p.status.restarts, 1);
    assert.equal(p.status.restartsByReason.exit, 1);
    assert.deepEqual({ reason: p.status.lastExit?.reason, code: p.status.lastExit?.code }, { reason: 'exit', code: 3 });
    // exit → policy → timer → the next instance, not before the policy's delay.
    await waitFor('the restarted instance to boot', () => p.restarts[0]?.outcome, slowMs);
    assert.equal(p.restarts[0]!.outcome, 'ready');
    assert.ok(p.restarts[0]!.at - started >= restart.initialDelayMs - 20, `restarted after ${p.restarts[0]!.at - started} ms`);
    assert.equal(p.instances.length, 2);
    assert.equal(p.life.current, p.instances[1]);
  });

  test(`boot race (${isolation}): the deadline wins; the instance is killed as a start timeout`, bounded, async (t) => {
    const p = probe(t, isolation, ['never-ready'], { startTimeoutMs: 400 });
    p.life.resume();
    const inst = p.life.spawn();
    const started = Date.now();
    assert.equal(await p.life.boot(inst), 'timeout');
    assert.ok(Date.now() - started >= 380, `timed out after ${Date.now() - started} ms`);
    assert.equal(inst.killedFor, 'start-timeout');
    const exit = await inst.host.exited;
    if (isolation === 'process') assert.equal(exit.signal, 'SIGKILL');
    await waitFor('the crash', () => p.crashes.length === 1, slowMs);
    assert.equal(p.crashes[0]!.reason, 'start-timeout');
    assert.equal(p.status.restartsByReason['start-timeout'], 1);
  });
}

test('boot race: an actor that says it cannot run ends the race as unavailable', bounded, async (t) => {
  const p = probe(t, 'thread', ['unavailable']);
  p.life.resume();
  const inst = p.life.spawn();
  assert.equal(await p.life.boot(inst), 'unavailable');
  assert.ok(inst.host.alive, 'the lifecycle leaves an unavailable actor to its child');
});

test('a crash loop runs exit → policy → restart until the budget is spent, then nothing restarts', bounded, async (t) => {
  const p = probe(t, 'thread', ['exit-after-ready']);
  p.life.resume();
  assert.equal(await p.life.boot(p.life.spawn()), 'ready');
  p.life.started();
  // Budget 2: crashes 1 and 2 restart, crash 3 is over budget (disable: this probe does not restart).
  await waitFor('three crashes', () => p.crashes.length === 3, 2 * slowMs);
  assert.deepEqual(p.crashes.map((c) => c.decision.action), ['restart', 'restart', 'disable']);
  assert.deepEqual(p.restarts.map((r) => r.outcome), ['ready', 'ready']);
  for (let i = 1; i < p.crashes.length; i++) {
    const gap = p.crashes[i]!.at - p.crashes[i - 1]!.at;
    assert.ok(gap >= restart.initialDelayMs, `crash ${i + 1} came ${gap} ms after crash ${i}: the restart waited less than its delay`);
  }
  assert.equal(p.status.restarts, 3);
  await new Promise((r) => setTimeout(r, restart.initialDelayMs * 2));
  assert.equal(p.instances.length, 3, 'no restart after the policy said disable');
});

test('a stop during the restart timer cancels the restart', bounded, async (t) => {
  // A restart delay long enough that the test's poll sees the crash before the timer fires.
  const delayMs = 2000;
  const p = probe(t, 'process', ['exit-at-boot', 'ready'], { restartDelayMs: delayMs });
  p.life.resume();
  assert.equal(await p.life.boot(p.life.spawn()), 'exited');
  await waitFor('the crash', () => p.crashes.length === 1, slowMs);
  assert.equal(p.crashes[0]!.decision.action, 'restart');
  assert.equal(await p.life.stop(p.stopPlan), 'not-running');
  assert.equal(p.life.stopping, true);
  await new Promise((r) => setTimeout(r, delayMs * 2));
  assert.equal(p.restarts.length, 0, 'the restart timer fired after stop()');
  assert.equal(p.instances.length, 1);
});

test('an operator start cancels a pending restart and forgets the crash history', bounded, async (t) => {
  const delayMs = 2000;
  const p = probe(t, 'thread', ['exit-at-boot'], { restartDelayMs: delayMs });
  p.life.resume();
  for (let i = 0; i < 3; i++) {
    assert.equal(await p.life.boot(p.life.spawn()), 'exited');
    await waitFor(`crash ${i + 1}`, () => p.crashes.length === i + 1, slowMs);
    p.life.resetBudget(); // also cancels the timer the crash armed
  }
  // Without the reset the third crash would be over the budget of 2.
  assert.deepEqual(p.crashes.map((c) => c.decision.action), ['restart', 'restart', 'restart']);
  await new Promise((r) => setTimeout(r, delayMs * 2));
  assert.equal(p.restarts.length, 0, 'a cancelled restart fired');
});

for (const isolation of ['thread', 'process'] as const) {
  test(`watchdog (${isolation}): a child that stops answering is killed as hung and restarted`, bounded, async (t) => {
    const p = probe(t, isolation, ['hang-after-ready', 'ready']);
    p.life.resume();
    const inst = p.life.spawn();
    assert.equal(await p.life.boot(inst), 'ready');
    await waitFor('the hang to be detected', () => p.crashes.length === 1, slowMs);
    assert.equal(inst.killedFor, 'hang');
    assert.equal(p.crashes[0]!.reason, 'hang');
    assert.equal(inst.host.alive, false);
    await waitFor('the restarted instance to boot', () => p.restarts[0]?.outcome, slowMs);
    assert.equal(p.restarts[0]!.outcome, 'ready');
  });

  test(`stop (${isolation}): a child that ignores the stop request is terminated after the grace period`, bounded, async (t) => {
    const p = probe(t, isolation, ['ignore-stop']);
    p.life.resume();
    const inst = p.life.spawn();
    assert.equal(await p.life.boot(inst), 'ready');
    const started = Date.now();
    assert.equal(await p.life.stop(p.stopPlan), 'terminated');
    assert.ok(Date.now() - started >= p.stopPlan.graceMs - 20, `terminated after ${Date.now() - started} ms`);
    if (isolation === 'process') assert.equal((await inst.host.exited).signal, 'SIGTERM');
    assert.equal(p.crashes.length, 0);
    assert.equal(p.stuck, 0);
  });
}
