// src/procfs on a recorded fixture root (test/fixtures/procfs/root: a process 4242 with two
// threads, one in D state, and 5151, listed but vanished) and on the live /proc with real
// processes, including one that has exited and been reaped.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/paths.js';
import {
  listHostTids,
  listOpenFds,
  listPids,
  listTids,
  parseKernelStack,
  parseMeminfo,
  parseStatus,
  readComm,
  readKernelStack,
  readMeminfo,
  readProcFile,
  readProcIo,
  readProcPidCgroup,
  readTaskStat,
  readWchan,
} from '../../src/procfs/index.js';
import { blockedTasks } from '../../src/actors/tracers/hungtask/procstack.js';
import { spawnWorkload, waitFor, type Workload } from '../support/host.js';

const root = join(repoRoot, 'test', 'fixtures', 'procfs', 'root');
const tasks = join(root, '4242', 'task');
const sorted = (xs: readonly number[] | undefined): number[] | undefined => (xs === undefined ? undefined : [...xs].sort((a, b) => a - b));

describe('procfs on a fixture root', () => {
  it('lists numeric entries as pids and their task/ entries as tids', () => {
    assert.deepEqual(sorted(listPids(root)), [4242, 5151]);
    assert.deepEqual(sorted(listTids(root, 4242)), [4242, 4243]);
    assert.deepEqual(sorted(listHostTids(root)), [4242, 4243], 'the vanished 5151 adds no thread');
  });

  it('a vanished pid reads as undefined everywhere, never as an exception', () => {
    assert.equal(listTids(root, 5151), undefined);
    assert.equal(readComm(root, 5151), undefined);
    assert.equal(readKernelStack(root, 5151), undefined);
    assert.equal(readTaskStat(root, 5151), undefined);
    assert.equal(readWchan(root, 5151), undefined);
    assert.equal(readProcFile(join(root, '5151', 'status')), undefined);
    assert.equal(readProcPidCgroup(root, 5151), undefined);
  });

  it('an unreadable root lists nothing', () => {
    assert.deepEqual(listPids(join(root, 'no-such-dir')), []);
    assert.deepEqual(listHostTids(join(root, 'no-such-dir')), []);
  });

  it('comm: trimmed on both sides by default, only at the end on request', () => {
    assert.equal(readComm(root, 4242), 'lead name');
    assert.equal(readComm(root, 4242, { trim: 'end' }), '  lead name');
    assert.equal(readComm(tasks, 4243), 'a (b) c');
  });

  it('stack: frames without the [<0>] prefix, blank lines dropped, through a task directory too', () => {
    assert.deepEqual(readKernelStack(root, 4242), ['do_epoll_wait+0x4a8/0x4e0', '__x64_sys_epoll_wait+0x6a/0x110', 'do_syscall_64+0x71/0x290', 'entry_SYSCALL_64_after_hwframe+0x76/0x7e']);
    assert.deepEqual(readKernelStack(tasks, 4243), ['io_schedule+0x46/0x70', 'folio_wait_bit_common+0x13d/0x350', 'filemap_fault+0x5c4/0xa80']);
    assert.deepEqual(parseKernelStack('[<ffffffff81000000>] a+0x1/0x2\n\n'), ['a+0x1/0x2']);
  });

  it('stat and wchan: state after the LAST parenthesis, comm with parentheses kept whole', () => {
    assert.deepEqual(readTaskStat(tasks, 4243), { tid: 4243, comm: 'a (b) c', state: 'D', cpu: 0 });
    assert.equal(readTaskStat(root, 4242)?.state, 'S');
    assert.equal(readWchan(tasks, 4243), 'io_schedule');
  });

  it('meminfo: kB values in bytes, unitless counts as they are; an unreadable file throws', () => {
    const m = readMeminfo(root);
    assert.equal(m.get('MemTotal'), 2_000_000 * 1024);
    assert.equal(m.get('Active(anon)'), 300_000 * 1024);
    assert.equal(m.get('HugePages_Total'), 3);
    assert.deepEqual(parseMeminfo('Bad line\nX:  5 kB\n'), new Map([['X', 5120]]));
    assert.throws(() => readMeminfo(join(root, 'no-such-dir')), { code: 'ENOENT' });
  });

  it('cgroup: the v2 path and each v1 controller of a co-mount', () => {
    const cg = readProcPidCgroup(root, 4242);
    assert.equal(cg?.v2, '/docker/x');
    assert.deepEqual(cg?.v1, new Map([['freezer', '/frozen/job'], ['cpu', '/docker/x'], ['cpuacct', '/docker/x']]));
  });

  it('status: pid, name and memory in bytes', () => {
    assert.deepEqual(parseStatus(readProcFile(join(root, '4242', 'status')) ?? ''), { pid: 4242, name: 'lead name', rssBytes: 2048 * 1024, anonBytes: 1024 * 1024 });
  });

  it("hungtask's blocked-task list, read through src/procfs, finds the D thread and skips the vanished pid", () => {
    assert.deepEqual(blockedTasks(root, 10, 0), [
      { pid: 4243, comm: 'a (b) c', wchan: 'io_schedule', stack: ['io_schedule+0x46/0x70', 'folio_wait_bit_common+0x13d/0x350', 'filemap_fault+0x5c4/0xa80'] },
    ]);
    assert.deepEqual(blockedTasks(root, 10, 4243), [], 'the hung task itself is excepted');
    assert.deepEqual(blockedTasks(root, 0, 0), [], 'max 0 lists none');
  });
});

describe('procfs on the live /proc', () => {
  const started: Workload[] = [];
  after(async () => {
    for (const w of started) await w.kill();
  });

  it('reads a running process: listed, its comm, a sleeping state, a kernel stack and wchan', async () => {
    const w = spawnWorkload('sleep', ['60']);
    started.push(w);
    // Until exec completes the child is still a copy of node: wait for the sleep itself.
    await waitFor(() => readComm('/proc', w.pid) === 'sleep' && readTaskStat('/proc', w.pid)?.state === 'S', { what: `pid ${w.pid} asleep as sleep` });
    assert.ok(listPids('/proc').includes(w.pid));
    assert.deepEqual(listTids('/proc', w.pid), [w.pid]);
    assert.ok(listHostTids('/proc').includes(w.pid));
    assert.equal(readTaskStat('/proc', w.pid)?.comm, 'sleep');
    const stack = readKernelStack('/proc', w.pid);
    assert.ok(stack !== undefined && stack.length > 0, `a sleeping task has a kernel stack (got ${String(stack)})`);
    assert.ok(stack.every((f) => !f.startsWith('[<') && f !== ''), stack.join('\n'));
    assert.match(readWchan('/proc', w.pid) ?? '', /sleep/);
    assert.deepEqual(readProcPidCgroup('/proc', w.pid), readProcPidCgroup('/proc', 'self'), 'a child starts in its parent\'s cgroups');
  });

  it('lists the threads of this (multi-threaded) node process', () => {
    const tids = listTids('/proc', process.pid) ?? [];
    assert.ok(tids.includes(process.pid) && tids.length > 1, `node runs several threads: ${tids.join(',')}`);
  });

  it('a process that exited and was reaped reads as undefined, and is no longer listed', async () => {
    const w = spawnWorkload('sleep', ['60']);
    started.push(w);
    await waitFor(() => readComm('/proc', w.pid) === 'sleep', { what: `pid ${w.pid} running sleep` });
    await w.kill(); // SIGKILL this pid and wait until it is reaped
    assert.equal(listPids('/proc').includes(w.pid), false);
    assert.equal(listTids('/proc', w.pid), undefined);
    assert.equal(readComm('/proc', w.pid), undefined);
    assert.equal(readKernelStack('/proc', w.pid), undefined);
    assert.equal(readTaskStat('/proc', w.pid), undefined);
    assert.equal(readWchan('/proc', w.pid), undefined);
    assert.equal(readProcPidCgroup('/proc', w.pid), undefined);
    assert.deepEqual(listOpenFds('/proc', w.pid), []);
    assert.equal(readProcIo('/proc', w.pid), undefined);
  });

  it('open descriptors: a file this process opened is listed with its path; io counts what it wrote', () => {
    const path = join(tmpdir(), `autotracer-fds-${process.pid}`);
    const before = readProcIo('/proc', process.pid);
    writeFileSync(path, 'x'.repeat(4096));
    const fd = openSync(path, 'r');
    try {
      const entry = listOpenFds('/proc', process.pid).find((f) => f.fd === fd);
      assert.deepEqual(entry, { fd, target: path, link: `/proc/${process.pid}/fd/${fd}` });
      const after = readProcIo('/proc', process.pid);
      assert.ok(before !== undefined && after !== undefined && after.wchar - before.wchar >= 4096, `wchar grew by the 4096 bytes written (${before?.wchar} -> ${after?.wchar})`);
    } finally {
      closeSync(fd);
      rmSync(path, { force: true });
    }
    assert.equal(listOpenFds('/proc', process.pid).some((f) => f.fd === fd && f.target === path), false, 'closed: no longer listed');
  });

  it('meminfo: MemTotal is the total memory the OS reports', () => {
    assert.equal(readMeminfo('/proc').get('MemTotal'), totalmem());
  });
});
