// The interval sampler's file reads (issue 16.4): at 1000 containers the per-container
// cpu.stat reads were most of waitrate's interval. An idle container (no CPU, no wait since
// the last read) is not read again until BPF sees one of its tasks switched in, and its
// sample is still the all-zero one a read would give; a busy one is read once per interval.
// Real cgroups, real processes, the real BPF counters; reads are counted by wrapping the
// real resolver's cpuStat.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createContainerResolver } from '../../src/containers/create.js';
import type { Container } from '../../src/containers/index.js';
import { BpfObject } from '../../src/native/index.js';
import { IntervalSampler, WaitrateCounters, type BpfOpener, type ContainerSample, type ContainerSource } from '../../src/actors/tracers/waitrate/core.js';
import { TEST_CGROUP_PARENT } from '../support/host.js';
import { createContainer, destroyContainer, startSleeper, type TestContainer } from './workloads.js';

const open: BpfOpener = (name, options) => BpfObject.openBuilt(name, options);

describe('waitrate sampler reads', { concurrency: false }, () => {
  let counters: WaitrateCounters | undefined;
  const made: TestContainer[] = [];
  before(async () => {
    counters = await WaitrateCounters.open(open);
  });
  after(async () => {
    counters?.close();
    for (const c of made) await destroyContainer(c);
  });

  it("an idle container's cpu.stat is not read until one of its tasks is switched in; a busy one is read every interval", async () => {
    const idle = createContainer('wr-idle');
    made.push(idle);
    const busy = createContainer('wr-busy');
    made.push(busy);
    startSleeper(busy);
    await sleep(200);
    const res = createContainerResolver({ plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [] });
    const reads = new Map<string, number>();
    const source: ContainerSource = {
      list: () => res.list(),
      byCgroupId: (id) => res.byCgroupId(id),
      cpuStat: (c) => {
        reads.set(c.id, (reads.get(c.id) ?? 0) + 1);
        return res.cpuStat(c);
      },
    };
    const find = (cg: TestContainer): Container => {
      const c = res.list().find((x) => x.v2Id === cg.cg.id);
      assert.ok(c, `${cg.cg.name} is a container`);
      return c;
    };
    const idleC = find(idle);
    const busyC = find(busy);
    const of = (samples: ContainerSample[], c: Container): ContainerSample => {
      const s = samples.find((x) => x.container === c);
      assert.ok(s, `a sample for ${c.id}`);
      return s;
    };
    const sampler = new IntervalSampler(source);
    sampler.sample(counters!.read()); // baseline: everything read
    const usageAtBaseline = res.cpuStat(idleC).usage?.totalUs;
    await sleep(400);
    sampler.sample(counters!.read()); // the idle one is read and found idle
    assert.equal(reads.get(idleC.id), 2);
    await sleep(400);
    const quiet = sampler.sample(counters!.read());
    assert.equal(reads.get(idleC.id), 2, 'the idle container was not read again');
    assert.equal(reads.get(busyC.id), 3, 'the busy one is read every interval');
    assert.ok(sampler.skippedReads >= 1);
    // What a read would have given: its cpu.stat did not move, so the sample is all zero.
    assert.equal(res.cpuStat(idleC).usage?.totalUs, usageAtBaseline);
    assert.deepEqual(of(quiet, idleC).delta, { waitNs: 0, innerNs: 0, externalNs: 0, latencyNs: 0, throttledNs: 0, runNs: 0 });
    assert.equal(of(quiet, idleC).rates.wait_rate, 0);
    assert.ok(of(quiet, busyC).nrWaits > 0, 'the busy one waited (it was switched in)');

    // It wakes: the next sample reads it, against the baseline of its last read (still exact).
    startSleeper(idle);
    await sleep(400);
    const woke = sampler.sample(counters!.read());
    assert.equal(reads.get(idleC.id), 3, 'read again once its tasks were switched in');
    const s = of(woke, idleC);
    const usageNow = res.cpuStat(idleC).usage?.totalUs ?? 0;
    assert.ok(s.nrWaits > 0 && s.delta.runNs > 0, `woken sample ${JSON.stringify(s.delta)}`);
    // Run since the last read (generous: a sleeper's few forks may have run a little more since).
    assert.ok(s.delta.runNs <= (usageNow - (usageAtBaseline ?? 0)) * 1000, 'Δrun counted from the last real read');
    assert.ok(s.delta.runNs <= s.elapsedNs * 4, 'Δrun bounded by the interval');
  });
});
