// Issue 13.6: on a cgroup v1-only host waitrate says `unavailable: needs cgroup v2 task ids`
// instead of running on every switch and measuring nothing. The decision is tested on the
// files as a v1-only host and a hybrid host have them, and on this host's own files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cgroupV2Support, NEEDS_V2, type CgroupSources } from '../../src/actors/tracers/waitrate/cgroup-support.js';

const fixture = (host: string): CgroupSources => {
  const read = (f: string): string => readFileSync(new URL(`../../../test/fixtures/waitrate/${host}/${f}`, import.meta.url), 'utf8');
  return { mountinfo: read('mountinfo'), procCgroups: read('cgroups'), selfCgroup: read('self-cgroup') };
};

test('a v1-only host (no cgroup2 mount) is unavailable, saying why', () => {
  const r = cgroupV2Support(fixture('v1-only'));
  assert.equal(r.available, false);
  assert.ok(!r.available && r.reason.startsWith(NEEDS_V2), JSON.stringify(r));
  assert.match(!r.available ? r.reason : '', /not mounted/);
});

test('a hybrid host (v1 controllers + the unified v2 hierarchy) is available', () => {
  const r = cgroupV2Support(fixture('hybrid'));
  assert.deepEqual(r, { available: true, v2Mount: '/sys/fs/cgroup/unified' });
});

test('a kernel that shows no v2 line in /proc/self/cgroup is unavailable', () => {
  const h = fixture('hybrid');
  const r = cgroupV2Support({ ...h, selfCgroup: h.selfCgroup.replace(/^0::.*$/m, '') });
  assert.equal(r.available, false);
  assert.match(!r.available ? r.reason : '', /no "0::" line/);
});

test('a v2 mount that the watched containers do not use is unavailable; one v2 container is enough', () => {
  const h = fixture('hybrid');
  const none = cgroupV2Support(h, [{}, {}]);
  assert.equal(none.available, false);
  assert.match(!none.available ? none.reason : '', /none of the 2 watched containers/);
  assert.equal(cgroupV2Support(h, [{}, { v2Id: 42n }]).available, true);
});

test('this host (hybrid, v2 at /sys/fs/cgroup/unified) is available', () => {
  const r = cgroupV2Support({
    mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
    procCgroups: readFileSync('/proc/cgroups', 'utf8'),
    selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
  });
  assert.equal(r.available, true, JSON.stringify(r));
});
