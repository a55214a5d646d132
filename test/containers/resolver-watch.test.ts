// The resolver's refresh driven by cgroup mkdir/rmdir (inotify) instead of a rescan per
// interval (issue 16.4), on real cgroups in the v2 hierarchy and the v1 cpu hierarchy: a
// new container (and a sub-cgroup of one) is seen at the next refresh after it is made,
// without a rescan from scratch; a removed one is gone; a refresh with no change reads
// nothing; the periodic rescan still runs.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createContainerResolver } from '../../src/containers/create.js';
import { directFs, type ScanFs } from '../../src/containers/scan.js';
import { WatchedTree } from '../../src/containers/tree-watch.js';
import type { ContainerResolver } from '../../src/containers/resolver.js';
import { createTestCgroup, removeTestCgroup, TEST_CGROUP_PARENT, waitFor, type TestCgroup } from '../support/host.js';

describe('resolver refresh driven by cgroup creation and removal', { concurrency: false }, () => {
  const made: TestCgroup[] = [];
  const resolvers: ContainerResolver[] = [];
  /** Empty child cgroups made here (createTestCgroup makes only direct children of the test root). */
  const children: string[] = [];
  const mkChild = (parent: TestCgroup, name: string): { v2Path: string; v1Cpu?: string; id: bigint } => {
    const dirs = [join(parent.v2Path, name), ...(parent.v1Paths.cpu !== undefined ? [join(parent.v1Paths.cpu, name)] : [])];
    for (const d of dirs) {
      mkdirSync(d);
      children.push(d);
    }
    return { v2Path: dirs[0]!, ...(dirs[1] !== undefined ? { v1Cpu: dirs[1] } : {}), id: statSync(dirs[0]!, { bigint: true }).ino };
  };
  const rmChild = (dir: string): void => {
    rmdirSync(dir);
    children.splice(children.indexOf(dir), 1);
  };
  after(async () => {
    // Each step on its own: one failing must not leave cgroups behind.
    for (const r of resolvers) {
      try {
        r.close();
      } catch {
        // nothing to undo on the host
      }
    }
    for (const d of children.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // already gone
      }
    }
    for (const cg of made.reverse()) await removeTestCgroup(cg);
  });
  const resolverOf = (name: string, rescanSeconds?: number): ContainerResolver => {
    const r = createContainerResolver({ plainRoots: [`/${TEST_CGROUP_PARENT}/${name}`], scanRoots: [] }, rescanSeconds === undefined ? {} : { rescanSeconds });
    resolvers.push(r);
    return r;
  };

  it('sees a new container and its sub-cgroup within one interval without a full rescan, and its removal', async () => {
    const root = createTestCgroup('rs-watch', { v1: ['cpu'] });
    made.push(root);
    const res = resolverOf('rs-watch');
    res.refreshIfChanged(); // the first one reads everything and starts watching
    assert.deepEqual(res.refreshCounts, { full: 1, changed: 0, unchanged: 0 });
    assert.deepEqual(res.refreshIfChanged(), { added: [], removed: [] });
    assert.equal(res.refreshCounts.unchanged, 1, 'no change: nothing read');

    const ctr = mkChild(root, 'ctr-a');
    const added = await waitFor(() => res.refreshIfChanged().added.find((c) => c.id === 'ctr-a'), { timeoutMs: 5000, what: 'ctr-a seen by refresh' });
    assert.equal(added.v2Id, ctr.id);
    assert.ok(added.v1Paths.cpu !== undefined, 'found in the v1 cpu hierarchy too');
    assert.equal(res.refreshCounts.full, 1, 'no rescan from scratch');
    assert.ok(res.refreshCounts.changed >= 1);

    // A sub-cgroup made later (a container's own child) maps to the container.
    const sub = join(ctr.v2Path, 'sub');
    mkdirSync(sub);
    children.push(sub);
    const subId = statSync(sub, { bigint: true }).ino;
    await waitFor(() => (res.refreshIfChanged(), res.byCgroupId(subId)?.id === 'ctr-a'), { timeoutMs: 5000, what: 'sub-cgroup mapped' });
    rmChild(sub);

    rmChild(ctr.v2Path);
    if (ctr.v1Cpu !== undefined) rmChild(ctr.v1Cpu);
    const removed = await waitFor(() => res.refreshIfChanged().removed.find((c) => c.id === 'ctr-a'), { timeoutMs: 5000, what: 'ctr-a removal seen' });
    assert.equal(removed.id, 'ctr-a');
    assert.equal(res.byId('ctr-a'), undefined);
    assert.equal(res.refreshCounts.full, 1, 'still no rescan from scratch');
  });

  it('a recreated container (same name, new cgroup) is reported removed and added', async () => {
    const root = createTestCgroup('rs-recreate');
    made.push(root);
    const res = resolverOf('rs-recreate');
    let ctr = mkChild(root, 'ctr');
    res.refreshIfChanged();
    const first = res.byId('ctr');
    assert.equal(first?.v2Id, ctr.id);
    rmChild(ctr.v2Path);
    ctr = mkChild(root, 'ctr');
    await waitFor(() => (res.refreshIfChanged(), res.byId('ctr')?.v2Id === ctr.id), { timeoutMs: 5000, what: 'the new inode' });
    assert.notEqual(res.byId('ctr'), first);
  });

  it('a parent\'s cached list is patched by name after a mkdir or rmdir, not listed again; a removed directory reads as absent', async () => {
    const root = createTestCgroup('rs-patch');
    made.push(root);
    const calls = { subdirs: 0, isDirectory: 0 };
    const counting: ScanFs = {
      subdirs: (dir) => (calls.subdirs++, directFs.subdirs(dir)),
      inode: (dir) => directFs.inode(dir),
      isDirectory: (path) => (calls.isDirectory++, directFs.isDirectory(path)),
    };
    const tree = new WatchedTree(counting);
    try {
      const mid = join(root.v2Path, 'mid');
      mkdirSync(mid);
      children.push(mid);
      assert.deepEqual(tree.subdirs(root.v2Path), ['mid']);
      assert.deepEqual(tree.subdirs(mid), []);
      assert.equal(calls.subdirs, 2);
      for (const name of ['a', 'b', 'c']) {
        mkdirSync(join(mid, name));
        children.push(join(mid, name));
      }
      rmChild(join(mid, 'b'));
      await waitFor(() => tree.changed && [...(tree.subdirs(mid) ?? [])].sort().join() === 'a,c', { timeoutMs: 5000, what: 'a and c listed under mid' });
      assert.equal(calls.subdirs, 2, 'mid was not listed again');
      assert.ok(calls.isDirectory >= 3, `each reported name looked at (${calls.isDirectory})`);

      // mid itself removed: its own watch reports it, and the parent's event drops it.
      tree.markScanned();
      rmChild(join(mid, 'a'));
      rmChild(join(mid, 'c'));
      rmChild(mid);
      await waitFor(() => tree.changed && tree.subdirs(mid) === undefined, { timeoutMs: 5000, what: 'mid read as absent' });
      assert.deepEqual(tree.subdirs(root.v2Path), []);
    } finally {
      tree.close();
    }
  });

  it('after bursts of mkdir and rmdir the watched refresh lists what a rescan from scratch lists', async () => {
    const root = createTestCgroup('rs-burst');
    made.push(root);
    const res = resolverOf('rs-burst');
    res.refreshIfChanged();
    const live: string[] = [];
    const snapshot = (r: ContainerResolver): string[] => r.list({ all: true }).map((c) => `${c.id}:${c.v2Id}`).sort();
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < 15; i++) {
        const name = `b${burst}-${i}`;
        mkChild(root, name);
        live.push(name);
      }
      for (const name of live.splice(0, 7)) rmChild(join(root.v2Path, name));
      await sleep(50); // let inotify deliver
      res.refreshIfChanged();
      const fresh = resolverOf('rs-burst');
      assert.deepEqual(snapshot(res), snapshot(fresh), `burst ${burst}`);
      assert.deepEqual(res.list({ all: true }).map((c) => c.id).sort(), [...live].sort());
    }
    assert.equal(res.refreshCounts.full, 1, 'no rescan from scratch');
    for (const name of live) rmChild(join(root.v2Path, name));
  });

  it('still rescans from scratch on its period (the safety net)', async () => {
    const root = createTestCgroup('rs-period');
    made.push(root);
    const res = resolverOf('rs-period', 0.2);
    res.refreshIfChanged();
    await sleep(300);
    res.refreshIfChanged();
    assert.equal(res.refreshCounts.full, 2);
    res.refreshIfChanged({ rescan: true });
    assert.equal(res.refreshCounts.full, 3);
  });
});
