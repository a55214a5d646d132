// Issue 13.2: waitrate's cgroup slots are reused. Systemd scopes and pods come and go; with
// one slot per cgroup ever seen, cgroup 4097 and later got no data for the agent's lifetime.
// 5000 cgroups (more than the 4096 default slots) are created, entered and removed while a
// container keeps being measured: no cgroup is refused a slot, the measured container's
// counters keep growing through the churn, and a cgroup made afterwards still gets data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WaitrateCounters, type BpfOpener } from '../../src/actors/tracers/waitrate/core.js';
import { WAITRATE_MAX_CGROUPS } from '../../src/native/bpf/waitrate.js';
import { BpfObject } from '../../src/native/index.js';
import { createTestCgroup, evacuateAndRemoveCgroup, removeTestCgroup, spawnWorkload, waitFor, type TestCgroup, type Workload } from '../support/host.js';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createContainer, destroyContainer, startHog, type TestContainer } from './workloads.js';

const CHURN = new URL('../fixtures/waitrate/churn.js', import.meta.url).pathname;
const CHURNED = 5000;
const open: BpfOpener = (name, options) => BpfObject.openBuilt(name, options);

describe('waitrate slots are freed on cgroup removal and reused', { concurrency: false }, () => {
  let counters: WaitrateCounters | undefined;
  let victim: TestContainer | undefined;
  let churnParent: TestCgroup | undefined;
  let late: TestCgroup | undefined;
  const workloads: Workload[] = [];

  before(async () => {
    counters = await WaitrateCounters.open(open);
  });
  after(async () => {
    for (const w of workloads) await w.kill();
    counters?.close();
    await destroyContainer(victim);
    await removeTestCgroup(late);
    if (churnParent !== undefined) {
      // A churn cut short leaves its last sub-cgroup behind.
      const children = readdirSync(churnParent.v2Path, { withFileTypes: true }).filter((e) => e.isDirectory());
      for (const e of children) await evacuateAndRemoveCgroup(join(churnParent.v2Path, e.name), dirname(dirname(churnParent.v2Path)));
      await removeTestCgroup(churnParent);
    }
  });

  it(`${CHURNED} cgroups created and removed (> ${WAITRATE_MAX_CGROUPS} slots) while a container is measured`, { timeout: 120_000 }, async () => {
    const c = counters!;
    victim = createContainer('wr-slots-victim');
    startHog(victim, 0);
    startHog(victim, 0); // two hogs on one CPU: the victim's tasks wait (inner) all along
    const victimWait = (): bigint => c.read().get(victim!.cg.id)?.waitNs ?? 0n;
    await waitFor(() => victimWait() > 0n, { timeoutMs: 10_000, what: 'the victim container measured' });
    const waitBefore = victimWait();

    churnParent = createTestCgroup('wr-slots-churn');
    const churn = spawnWorkload(process.execPath, [CHURN, churnParent.v2Path, String(CHURNED)], { stdio: ['ignore', 'pipe', 'pipe'] });
    workloads.push(churn);
    let out = '';
    churn.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const midWaits: bigint[] = [];
    const sampler = setInterval(() => midWaits.push(victimWait()), 2000);
    const code = await churn.exited.finally(() => clearInterval(sampler));
    assert.equal(code, 0, `churn script exit ${String(code)}: ${out}`);
    assert.match(out, new RegExp(`done ${CHURNED}`));

    const stats = c.stats();
    assert.equal(stats.cgroupsFull, 0n, 'no cgroup was refused a slot');
    // A churned cgroup gets a slot only if the process was switched in there (the 1 ms nap
    // almost always does that; a few naps end without a switch): nearly all of them.
    assert.ok(stats.slotsFreed >= BigInt(CHURNED - 100), `slots freed on removal: ${stats.slotsFreed}`);
    assert.ok(stats.slotsReused >= BigInt(CHURNED - WAITRATE_MAX_CGROUPS - 100), `slots reused: ${stats.slotsReused}`);
    // The removed cgroups are gone from the reading; the victim stays and kept growing.
    const reading = c.read();
    assert.ok(reading.size < 100, `cgroups in the reading after the churn: ${reading.size}`);
    const waitAfter = victimWait();
    assert.ok(waitAfter > waitBefore, 'the victim kept being measured through the churn');
    for (let i = 1; i < midWaits.length; i++) assert.ok(midWaits[i]! >= midWaits[i - 1]!, 'the victim counters never went back (its slot was not zeroed)');

    // A cgroup made after the churn still gets a slot and data.
    late = createTestCgroup('wr-slots-late');
    const sleeper = spawnWorkload('sh', ['-c', `echo $$ > ${late.v2Path}/cgroup.procs; while :; do sleep 0.05; done`]);
    workloads.push(sleeper);
    await waitFor(() => (c.read().get(late!.id)?.nrWaits ?? 0n) > 0n, { timeoutMs: 10_000, what: 'the late cgroup measured (a wait: run_ns is no longer charged)' });
    assert.equal(c.stats().cgroupsFull, 0n);
  });
});
