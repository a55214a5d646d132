// ContainerViewCache (what backs ctx.containers) in this process: a settings update with a new
// `containers` block replaces the resolver, and the replaced one stops watching the cgroup
// trees. Counted as the kernel sees it: the inotify watches of this process (fdinfo `wd:`
// lines), one per watched cgroup directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { ContainerViewCache } from '../../src/actors/container-view.js';
import { containersConfigSchema } from '../../src/containers/config.js';
import { createTestCgroup, removeTestCgroup, TEST_CGROUP_PARENT, type TestCgroup } from '../support/host.js';
import { defer } from '../storage/helpers.js';

function inotifyWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // the fd closed while we listed
    }
  }
  return n;
}

test('a replaced container view is closed: its inotify watches go away, the new one watches', async (t) => {
  const cgroups: TestCgroup[] = [];
  defer(t, async () => {
    for (const cg of cgroups) await removeTestCgroup(cg);
  });
  for (const name of ['cvc-a', 'cvc-b', 'cvc-c']) cgroups.push(createTestCgroup(name));
  const root = `/${TEST_CGROUP_PARENT}`;
  const settings = (): unknown => ({ containers: containersConfigSchema.parse({ scanRoots: [root], plainRoots: [root], v1Controllers: [] }) });

  const cache = new ContainerViewCache('cvc');
  const base = inotifyWatches();
  const current = settings();
  const first = cache.view(current);
  assert.equal(cache.view(current), first, 'the same settings object: the same view');
  first.refreshIfChanged();
  const watching = inotifyWatches() - base;
  assert.ok(watching >= 4, `the first view watches the root and its three cgroups (${watching} watches)`);

  const second = cache.view(settings()); // a settings update: a new containers object
  assert.notEqual(second, first);
  second.refreshIfChanged();
  assert.equal(inotifyWatches() - base, watching, 'only the new view watches: the replaced one was closed');
  assert.ok(second.byId('cvc-b'), 'the new view answers');
  assert.ok(first.byId('cvc-b'), 'the replaced view still answers from its last scan');
  second.close();
  assert.equal(inotifyWatches(), base);
});
