// cgroup-id.ts and the test-cgroup helpers against the real v2 hierarchy: the id we
// compute from a directory's inode is the id BPF reports for tasks inside it.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { BpfObject } from '../../src/native/index.js';
import { CGROUP_V2_ROOT, cgroupIdOfPath, cgroupIdOfProcess, cgroupV2PathOf, cgroupV2RelativePath } from '../../src/native/cgroup-id.js';
import { EXEC_EVENTS_RING, execEventLayout, execEventsRodata } from '../../src/native/bpf/exec_events.js';
import { cgroupPids, createTestCgroup, moveToCgroup, removeTestCgroup, spawnWorkload, waitFor, type TestCgroup, type Workload, TEST_CGROUP_PARENT } from '../support/host.js';

describe('cgroup v2 ids', () => {
  let cg: TestCgroup | undefined;
  const workloads: Workload[] = [];
  const objects: BpfObject[] = [];
  after(async () => {
    for (const o of objects.splice(0)) o.close();
    for (const w of workloads.splice(0)) await w.kill();
    await removeTestCgroup(cg);
  });

  it('the v2 root has id 1 and unknown processes have no cgroup', () => {
    assert.equal(cgroupIdOfPath(CGROUP_V2_ROOT), 1n);
    assert.equal(cgroupV2RelativePath(2 ** 22 + 12345), undefined);
    assert.equal(cgroupIdOfProcess(2 ** 22 + 12345), undefined);
    assert.ok(cgroupV2RelativePath('self')?.startsWith('/'));
  });

  it("a process moved into a test cgroup reports that cgroup's path and id, and BPF sees the same id", async () => {
    cg = createTestCgroup('bpf-cgroup-id', { v1: ['cpuacct'] });
    assert.equal(createTestCgroup('bpf-cgroup-id', { v1: ['cpuacct'] }).id, cg.id, 'idempotent');
    // A shell that waits for a line, then execs a marker binary name BPF can filter on.
    const sh = spawnWorkload('sh', ['-c', 'read line; exec /bin/sleep 30'], { stdio: ['pipe', 'ignore', 'ignore'] });
    workloads.push(sh);
    moveToCgroup(sh.pid, cg);
    assert.equal(cgroupV2RelativePath(sh.pid), `/${TEST_CGROUP_PARENT}/bpf-cgroup-id`);
    assert.equal(cgroupV2PathOf(sh.pid), cg.v2Path);
    assert.equal(cgroupIdOfProcess(sh.pid), cg.id);
    assert.match(readFileSync(`/proc/${sh.pid}/cgroup`, 'utf8'), new RegExp(`^\\d+:cpuacct:/${TEST_CGROUP_PARENT}/bpf-cgroup-id$`, 'm'), 'also in the v1 cpuacct hierarchy');

    const exec = BpfObject.openBuilt('exec_events', { rodata: execEventsRodata('sleep') });
    objects.push(exec);
    exec.attach();
    const seen: bigint[] = [];
    exec.openRingBuffer(EXEC_EVENTS_RING, (batch) => {
      for (const raw of batch) {
        const e = execEventLayout.decode(raw);
        if (e.tgid === sh.pid) seen.push(e.cgroup_id);
      }
    });
    sh.child.stdin?.write('go\n');
    await waitFor(() => seen.length > 0, { timeoutMs: 5000, what: 'the exec of sleep inside the cgroup' });
    assert.deepEqual(seen, [cg.id]);
  });

  it('removeTestCgroup moves leftover processes out and is idempotent', async () => {
    assert.ok(cg);
    assert.deepEqual(cgroupPids(cg.v2Path), [workloads[0]!.pid]);
    await removeTestCgroup(cg);
    assert.equal(existsSync(cg.v2Path), false);
    assert.equal(existsSync(cg.v1Paths.cpuacct!), false);
    assert.notEqual(cgroupIdOfProcess(workloads[0]!.pid), cg.id, 'the leftover process lives on elsewhere');
    await removeTestCgroup(cg);
  });
});
