// ctx.containers (issue #15: implement it or delete it): a real tracer actor in a worker
// thread, a real storage actor and real cgroups. The view is built from the tracer's own
// settings.containers, is the same object in start() and trigger(), sees a cgroup created
// after the actor started once it refreshes, and names the event's container; a tracer
// whose settings have no containers block gets TRACER_NO_CONTAINERS, not a silent null.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { createTestCgroup, removeTestCgroup, TEST_CGROUP_PARENT, waitFor, type TestCgroup } from '../support/host.js';
import { actorPath, defer, tempDir } from '../storage/helpers.js';

const fixture = fileURLToPath(new URL('../fixtures/tracers/containers-view.js', import.meta.url));
const restart = { initialDelayMs: 100, maxDelayMs: 400, factor: 2, jitter: 0, budgetCount: 3, budgetWindowMs: 60_000, disabledInitialMs: 500, disabledMaxMs: 2000, healthyResetMs: 60_000 };

test('ctx.containers: the tracer\'s own resolver, shared by start() and trigger(), refreshed on demand', { timeout: 90_000 }, async (t) => {
  const cgroups: TestCgroup[] = [];
  defer(t, async () => {
    for (const cg of cgroups) await removeTestCgroup(cg);
  });
  const early = createTestCgroup('ctxc-early');
  cgroups.push(early);
  const root = `/${TEST_CGROUP_PARENT}`;
  const supervisor = new Supervisor({
    storage: { modulePath: actorPath, config: { path: tempDir(t), fsync: 'os' }, restart, heartbeatMs: 1000, missedHeartbeats: 5, shutdownMs: 5000, startTimeoutMs: 15_000, mailboxMaxEvents: 1000 },
    tracers: [
      // Only v2 (the test cgroups exist there); the exclude rule shows the tracer's own filter is applied.
      tracerSpec({ name: 'containers-view', modulePath: fixture, restart, shutdownMs: 3000, killAfterMs: 1000, settings: { containers: { scanRoots: [root], plainRoots: [root], v1Controllers: [], filter: { excluded: [{ field: 'container_id', pattern: '^ctxc-hidden$' }] } } } }),
      tracerSpec({ name: 'containers-none', modulePath: fixture, restart, shutdownMs: 3000, killAfterMs: 1000 }),
    ],
  });
  defer(t, () => supervisor.stop());
  await supervisor.start();

  // Created after the actor started (and after start() took the view): found once the trigger refreshes.
  const late = createTestCgroup('ctxc-late');
  const hidden = createTestCgroup('ctxc-hidden');
  cgroups.push(late, hidden);
  await supervisor.trigger('containers-view', { containerId: 'ctxc-late' });
  const [doc] = await waitFor(async () => {
    const { events } = await supervisor.query({ tracer: 'containers-view' });
    return events.length > 0 ? events : undefined;
  }, { timeoutMs: 10_000, what: 'the containers-view event' });
  assert.ok(doc);
  const data = doc.tracer_data as { listed: string[]; added: string[]; found: { id: string; type: string; name: string; v2Path: string | null } | null; sameAsStart: boolean };
  assert.equal(data.sameAsStart, true, 'one view per actor: start() and trigger() see the same resolver');
  assert.deepEqual(data.found, { id: 'ctxc-late', type: 'cgroup', name: `${root}/ctxc-late`, v2Path: late.v2Path });
  assert.ok(data.added.includes('ctxc-late'), `the refresh reports the new cgroup: ${data.added.join(', ')}`);
  assert.ok(data.listed.includes('ctxc-early') && data.listed.includes('ctxc-late'), `listed: ${data.listed.join(', ')}`);
  assert.ok(!data.listed.includes('ctxc-hidden'), 'the tracer\'s filter applies to list()');
  assert.deepEqual([doc.container_id, doc.container_type, doc.container_hostname, doc.container_qos], ['ctxc-late', 'cgroup', '', ''], 'the document names the container (toContainerRef)');

  await assert.rejects(supervisor.trigger('containers-none', {}), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TRACER_NO_CONTAINERS');
    assert.match(err.message, /containers-none.*`containers` block/);
    return true;
  });
});
