// dload end to end on the real kernel: three test containers — one in v2 + v1, one in the
// v1 hierarchies only, one in v2 only — each with vfork parents in D; the tracer (driven
// through its Tracer object, interval and threshold lowered through config) must save one
// event per container, with its id, nr_uninterruptible > 0 and kernel_clone /
// wait_for_completion frames, and no second event within the cooldown.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dloadSettingsSchema } from '../../src/actors/tracers/dload/config.js';
import { DloadTracer, type DloadEventData } from '../../src/actors/tracers/dload/index.js';
import { waitFor } from '../support/host.js';
import { testContext } from '../support/tracer-context.js';
import { TEST_ROOT, TestContainer, V1_CONTROLLERS, compileFixture, removeTestRoot, startVforkD, taskState, type VforkD } from './workloads.js';

const containers = [new TestContainer('both', 'both'), new TestContainer('v1only', 'v1'), new TestContainer('v2only', 'v2')];
const PER_CONTAINER = 4;
const workloads: VforkD[] = [];
let binary = '';

before(async () => {
  await removeTestRoot(); // a crashed earlier run
  binary = compileFixture('dload', 'vfork_d');
  for (const c of containers) c.create();
});

after(async () => {
  for (const w of workloads) await w.kill();
  const failures = await removeTestRoot();
  assert.deepEqual(failures, [], 'test cgroups left behind');
});

test('D tasks in v1+v2, v1-only and v2-only containers -> one event each, with stacks; none within the cooldown', async (t) => {
  const parents = new Map<string, number[]>();
  const startedAt = Date.now();
  for (const c of containers) {
    for (let i = 0; i < PER_CONTAINER; i++) {
      const w = startVforkD(binary, 60);
      workloads.push(w);
      c.moveIn(w.parent.pid);
      w.go();
      parents.set(c.name, [...(parents.get(c.name) ?? []), w.parent.pid]);
    }
  }
  const all = [...parents.values()].flat();
  await waitFor(() => all.every((pid) => taskState(pid) === 'D'), { timeoutMs: 5000, what: 'the vfork parents in D' });

  const settings = dloadSettingsSchema.parse({
    intervalSeconds: 0.5,
    threshold: 0.3,
    knownIssues: [
      { name: 'not-this', pattern: 'no_such_kernel_function' },
      { name: 'vfork-wait', pattern: 'kernel_clone' },
    ],
    containers: { plainRoots: [TEST_ROOT], scanRoots: [], v1Controllers: [...V1_CONTROLLERS] },
  });
  const abort = new AbortController();
  const ctx = testContext('dload', settings, abort.signal);
  const tracer = new DloadTracer();
  let ticks = 0;
  const seen = new Map<string, number>();
  tracer.onSample = (samples) => {
    ticks++;
    for (const s of samples) seen.set(s.container.id, s.scan.counts.nr_uninterruptible);
  };
  const running = tracer.start(ctx);
  t.after(async () => {
    abort.abort();
    await running;
  });

  await waitFor(() => ctx.saved.length >= containers.length, { timeoutMs: 20_000, intervalMs: 100, what: `${containers.length} dload events (saved ${ctx.saved.length}, counts ${JSON.stringify([...seen])})` });
  // A few more ticks: the averages stay over the threshold, but the cooldown holds.
  const ticksAtFire = ticks;
  await waitFor(() => ticks >= ticksAtFire + 4, { timeoutMs: 10_000, what: '4 more ticks' });
  assert.equal(ctx.saved.length, containers.length, 'one event per container, none more within the cooldown');
  const denied = ctx.ledger.log.filter((l) => !l.granted).map((l) => l.key);
  for (const c of containers) assert.ok(denied.includes(c.name), `the detector kept firing for ${c.name} and the cooldown refused it`);

  const byId = new Map(ctx.saved.map((e) => [e.container?.id, e.data as DloadEventData]));
  for (const c of containers) {
    const data = byId.get(c.name);
    assert.ok(data !== undefined, `an event for container ${c.name}`);
    assert.equal(ctx.saved.find((e) => e.container?.id === c.name)?.container?.type, 'cgroup');
    for (const key of ['threshold', 'nr_sleeping', 'nr_running', 'nr_stopped', 'nr_uninterruptible', 'nr_iowait', 'load_avg', 'dload_avg', 'known_issue', 'stack'] as const) {
      assert.ok(key in data, `tracer_data.${key}`);
    }
    assert.equal(data.threshold, 0.3);
    assert.equal(data.nr_uninterruptible, PER_CONTAINER, `${c.name}: D tasks`);
    assert.ok(data.nr_sleeping >= PER_CONTAINER, `${c.name}: the sleeping vfork children`);
    assert.equal(data.nr_iowait, 0);
    assert.ok(data.dload_avg > 0.3 && data.load_avg >= data.dload_avg, `${c.name}: averages ${data.load_avg} / ${data.dload_avg}`);
    assert.equal(data.known_issue, 'vfork-wait');
    assert.deepEqual(data.d_tasks.map((d) => d.tid).sort(), [...(parents.get(c.name) ?? [])].sort());
    for (const d of data.d_tasks) {
      assert.equal(d.comm, 'vfork_d');
      assert.equal(d.wchan, 'kernel_clone');
      assert.ok(d.stack.some((f) => f.startsWith('kernel_clone')), `kernel_clone frame in ${d.stack.join(' < ')}`);
      // wait_for_completion_state is __sched: the kernel leaves scheduler functions out of
      // /proc/<tid>/stack (in_sched_functions), so the innermost frame shown is its caller.
      assert.ok(d.stack.some((f) => /^__(do|x64)_sys_vfork/.test(f)), `vfork syscall frame in ${d.stack.join(' < ')}`);
      // blocked_ms (its exec_start against its own CPU's clock) must cover the time dload has
      // watched it in D, and cannot exceed the time since the workload started.
      assert.ok(d.seen_blocked_ms !== null && d.seen_blocked_ms >= 0, 'seen_blocked_ms');
      assert.ok(d.blocked_ms !== null, 'blocked_ms');
      assert.ok(d.blocked_ms + 50 >= d.seen_blocked_ms, `blocked_ms ${d.blocked_ms} >= seen ${d.seen_blocked_ms}`);
      assert.ok(d.blocked_ms <= Date.now() - startedAt + 100, `blocked_ms ${d.blocked_ms} <= age ${Date.now() - startedAt}`);
    }
    assert.match(data.stack, /stacktrace of D task in cgroup:\nComm: vfork_d\tPid: \d+\n\[<0>\] /);
    assert.match(data.stack, /stacktrace of D task in host:/);
    const hostTids = new Set(data.host_d_tasks.map((d) => d.tid));
    for (const pid of parents.get(c.name) ?? []) assert.ok(hostTids.has(pid), `host section lists ${pid}`);
  }
  // Metrics of the last tick, and a manual trigger (bypasses threshold and cooldown).
  const metrics = tracer.update();
  for (const c of containers) {
    const avg = metrics.find((m) => m.name === 'dload_container_dload_avg' && m.labels?.container_id === c.name);
    assert.ok(avg !== undefined && avg.value > 0.3, `dload_avg metric of ${c.name}`);
  }
  await tracer.trigger({ containerId: 'v1only', reason: 'operator' }, ctx);
  const manual = ctx.saved.at(-1)!;
  assert.equal(manual.container?.id, 'v1only');
  assert.equal((manual.data as DloadEventData).reason, 'operator');
  assert.equal((manual.data as DloadEventData).nr_uninterruptible, PER_CONTAINER);
  await assert.rejects(tracer.trigger({ containerId: 'nope' }, ctx), { code: 'DLOAD_UNKNOWN_CONTAINER' });
});
