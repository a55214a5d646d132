// The accounting readers on real cgroups with real busy loops: CPU usage from v1 cpuacct
// and v2 cpu.stat, capacity from a v1 CFS quota and a v1 cpuset, throttling, tasks, PSI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContainerResolver } from '../../src/containers/create.js';
import type { ContainerResolver } from '../../src/containers/resolver.js';
import type { Container } from '../../src/containers/types.js';
import { CgroupTree, V2_MOUNT } from './cgroup-tree.js';
import { onlineCpus, spawnWorkload, waitFor, type Workload } from '../support/host.js';

const busyLoop = fileURLToPath(new URL('../fixtures/containers/busy-loop.js', import.meta.url));
const QUOTA = `docker/${'a'.repeat(64)}`; // 0.5 core by CFS quota
const PINNED = 'plain/pinned'; // cpuset = CPU 0 only
const IDLE = 'plain/idle';
const V2_ONLY = `docker/${'b'.repeat(64)}`; // exists in the unified hierarchy only

describe('container accounting on real cgroups', () => {
  const tree = new CgroupTree('accounting');
  const workloads: Workload[] = [];
  let resolver: ContainerResolver;
  const container = (rel: string): Container => {
    const c = resolver.list().find((x) => x.name === `${tree.root}/${rel}`);
    assert.ok(c, `${rel} resolved`);
    return c;
  };
  const startBusy = (rel: string): Workload => {
    const w = spawnWorkload(process.execPath, [busyLoop]);
    workloads.push(w);
    tree.moveIn(w.pid, rel);
    return w;
  };

  before(async () => {
    await tree.remove();
    for (const rel of [QUOTA, PINNED, IDLE]) tree.create(rel);
    mkdirSync(join(V2_MOUNT, tree.root, V2_ONLY), { recursive: true });
    const cpu = (rel: string, file: string) => join('/sys/fs/cgroup/cpu', tree.root, rel, file);
    writeFileSync(cpu(QUOTA, 'cpu.cfs_period_us'), '100000');
    writeFileSync(cpu(QUOTA, 'cpu.cfs_quota_us'), '50000');
    writeFileSync(join('/sys/fs/cgroup/cpuset', tree.root, PINNED, 'cpuset.cpus'), '0');
    resolver = createContainerResolver({ scanRoots: [tree.root], plainRoots: [`${tree.root}/plain`] });
  });

  after(async () => {
    for (const w of workloads) await w.kill();
    assert.deepEqual(await tree.remove(), [], 'every test cgroup removed');
  });

  it('capacity honours a v1 CFS quota (0.5 core) and a v1 cpuset (1 CPU); unlimited = online CPUs', () => {
    const online = onlineCpus().length;
    assert.deepEqual(resolver.cpuCapacity(container(QUOTA)), { cores: 0.5, cpusetCpus: online, quotaCores: 0.5, onlineCpus: online });
    assert.deepEqual(resolver.cpuCapacity(container(PINNED)), { cores: 1, cpusetCpus: 1, onlineCpus: online });
    assert.deepEqual(resolver.cpuCapacity(container(IDLE)), { cores: online, cpusetCpus: online, onlineCpus: online });
    assert.deepEqual(resolver.cpuCapacity(container(V2_ONLY)), { cores: online, cpusetCpus: online, onlineCpus: online });
  });

  it('a busy loop shows CPU usage growing on v1 cpuacct and v2 cpu.stat, capped by the quota', async () => {
    const c = container(QUOTA);
    const v1Start = resolver.cpuUsage(c, { source: 'v1' });
    const v2Start = resolver.cpuUsage(c, { source: 'v2' });
    assert.equal(v1Start.source, 'v1');
    assert.equal(v2Start.source, 'v2');
    assert.equal(resolver.cpuUsage(c).source, 'v1', 'auto prefers v1 cpuacct where the container has it');
    const busy = startBusy(QUOTA);
    const wallStart = process.hrtime.bigint();
    const grown = await waitFor(
      () => {
        const v1 = resolver.cpuUsage(c, { source: 'v1' });
        const v2 = resolver.cpuUsage(c, { source: 'v2' });
        return v1.totalUs - v1Start.totalUs >= 400_000 && v2.totalUs - v2Start.totalUs >= 400_000 && v1.systemUs > v1Start.systemUs && v2.systemUs > v2Start.systemUs
          ? { v1, v2 }
          : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'CPU usage of the busy loop on v1 and v2' },
    );
    const wallUs = Number(process.hrtime.bigint() - wallStart) / 1000;
    const v1Delta = grown.v1.totalUs - v1Start.totalUs;
    const v2Delta = grown.v2.totalUs - v2Start.totalUs;
    // Same tasks, two accountings read a moment apart: they agree closely.
    assert.ok(Math.abs(v1Delta - v2Delta) <= 0.15 * v1Delta + 20_000, `v1 Δ${v1Delta} µs vs v2 Δ${v2Delta} µs`);
    assert.ok(grown.v1.userUs > v1Start.userUs && grown.v2.userUs > v2Start.userUs, 'user time grows too');
    // 0.5 core: over the wait the loop cannot have used much more than half the wall time.
    assert.ok(v1Delta <= wallUs * 0.5 * 1.2 + 100_000, `used ${v1Delta} µs in ${wallUs} µs wall at a 0.5-core quota`);
    assert.deepEqual(resolver.tasks(c).pids, [busy.pid]);
    assert.ok(resolver.tasks(c).tids.includes(busy.pid) && resolver.tasks(c).tids.length > 1, 'node has more threads than its main one');
  });

  it('the quota-limited loop is throttled (v1 cpu.stat)', async () => {
    const c = container(QUOTA);
    // The host is shared and busy: at 0.5 core the loop may rarely exceed its quota. At
    // 0.05 core every period it runs more than 5 ms in is throttled.
    writeFileSync(join('/sys/fs/cgroup/cpu', tree.root, QUOTA, 'cpu.cfs_quota_us'), '5000');
    assert.equal(resolver.cpuCapacity(c).cores, 0.05);
    const t = await waitFor(
      () => {
        const now = resolver.throttling(c);
        return now.nrThrottled > 0 && now.throttledNs > 0 ? now : undefined;
      },
      { timeoutMs: 10_000, what: 'nr_throttled > 0' },
    );
    assert.equal(t.source, 'v1');
    assert.ok(t.nrPeriods >= t.nrThrottled);
    assert.deepEqual(resolver.throttling(container(IDLE)), { nrPeriods: 0, nrThrottled: 0, throttledNs: 0, source: 'v1' });
    assert.equal(resolver.throttling(container(V2_ONLY)).source, 'none', 'no cpu controller on v2 here: no bandwidth stats');
  });

  it('two loops pinned to one CPU show CPU pressure (v2 PSI) and share the cpuset', async () => {
    const c = container(PINNED);
    const before = resolver.pressure(c);
    assert.ok(before.cpu && before.io && before.memory, 'cpu, io and memory PSI present');
    startBusy(PINNED);
    startBusy(PINNED);
    const stalled = await waitFor(
      () => {
        const p = resolver.pressure(c).cpu;
        return p !== undefined && p.some.totalUs - (before.cpu?.some.totalUs ?? 0) >= 200_000 ? p : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'cpu.pressure some total to grow by 200 ms' },
    );
    assert.ok(stalled.some.totalUs > 0);
    assert.equal(resolver.tasks(c).pids.length, 2);
  });

  it('a container present only in v2 is read from v2 cpu.stat', async () => {
    const c = container(V2_ONLY);
    assert.deepEqual(c.v1Paths, {});
    assert.ok(c.v2Id !== undefined);
    const start = resolver.cpuUsage(c);
    assert.equal(start.source, 'v2');
    const w = spawnWorkload(process.execPath, [busyLoop]);
    workloads.push(w);
    writeFileSync(join(V2_MOUNT, tree.root, V2_ONLY, 'cgroup.procs'), `${w.pid}\n`);
    await waitFor(() => resolver.cpuUsage(c).totalUs - start.totalUs >= 200_000, { timeoutMs: 10_000, what: 'v2-only usage growth' });
    assert.equal(resolver.ofPid(w.pid), c);
    assert.throws(() => resolver.cpuUsage(c, { source: 'v1' }), { code: 'CONTAINER_UNSUPPORTED' });
  });
});
