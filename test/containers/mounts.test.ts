// Mount detection and /proc/<pid>/cgroup parsing on layouts this host does not have.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectCgroupMounts, mountRelativePath } from '../../src/containers/mounts.js';
import { parseProcPidCgroup } from '../../src/procfs/index.js';
import { CodedError } from '../../src/common/coded-error.js';
import {
  boundSubtreeMountinfo,
  coMountedMountinfo,
  coMountedProcCgroups,
} from '../fixtures/containers/mountinfo-samples.js';

describe('detectCgroupMounts', () => {
  it('handles co-mounted cpu,cpuacct: one directory, one hierarchy id', () => {
    const m = detectCgroupMounts({}, { mountinfo: coMountedMountinfo, procCgroups: coMountedProcCgroups });
    const cpu = m.v1.get('cpu');
    const cpuacct = m.v1.get('cpuacct');
    assert.equal(cpu?.mountPoint, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(cpuacct?.mountPoint, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(cpu?.hierarchyId, 3);
    assert.equal(cpuacct?.hierarchyId, 3);
    assert.deepEqual(cpu?.controllers, ['cpu', 'cpuacct']);
    assert.equal(m.v1.get('memory')?.hierarchyId, 6);
    assert.equal(m.v1.get('blkio')?.mountPoint, '/sys/fs/cgroup/my blkio', 'octal escapes are decoded');
    assert.equal(m.v1.has('pids'), false, 'a controller without a mount is absent');
    assert.equal(m.v2?.mountPoint, '/sys/fs/cgroup/unified');
  });

  it('detects this host: cpu and cpuacct are separate hierarchies with the /proc/cgroups ids', () => {
    const m = detectCgroupMounts();
    assert.equal(m.v2?.mountPoint, '/sys/fs/cgroup/unified');
    assert.equal(m.v1.get('cpu')?.mountPoint, '/sys/fs/cgroup/cpu');
    assert.equal(m.v1.get('cpuacct')?.mountPoint, '/sys/fs/cgroup/cpuacct');
    assert.notEqual(m.v1.get('cpu')?.hierarchyId, m.v1.get('cpuacct')?.hierarchyId);
    assert.ok((m.v1.get('cpu')?.hierarchyId ?? 0) > 0);
  });

  it('maps /proc/<pid>/cgroup paths through a bind-mounted sub-tree', () => {
    const m = detectCgroupMounts({}, { mountinfo: boundSubtreeMountinfo, procCgroups: '' });
    assert.ok(m.v2);
    assert.equal(mountRelativePath(m.v2, '/kubepods/pod1/abc'), '/');
    assert.equal(mountRelativePath(m.v2, '/kubepods/pod1/abc/sub'), '/sub');
    assert.equal(mountRelativePath(m.v2, '/kubepods/pod1/abcdef'), undefined);
  });

  it('throws CONTAINER_NO_CGROUPFS when nothing is mounted', () => {
    assert.throws(
      () => detectCgroupMounts({}, { mountinfo: '', procCgroups: '' }),
      (err: unknown) => err instanceof CodedError && err.code === 'CONTAINER_NO_CGROUPFS',
    );
  });
});

describe('parseProcPidCgroup', () => {
  it('splits the v2 line from v1 lines, including co-mounted and named hierarchies', () => {
    const parsed = parseProcPidCgroup('12:name=systemd:/user.slice\n3:cpu,cpuacct:/docker/x\n6:memory:/a:b\n0::/docker/x\n');
    assert.equal(parsed.v2, '/docker/x');
    assert.equal(parsed.v1.get('cpu'), '/docker/x');
    assert.equal(parsed.v1.get('cpuacct'), '/docker/x');
    assert.equal(parsed.v1.get('memory'), '/a:b');
    assert.equal(parsed.v1.get('name=systemd'), '/user.slice');
  });
});
