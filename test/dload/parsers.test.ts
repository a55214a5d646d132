// Pure parsers of the dload tracer: /proc/<tid>/stat, the freezer lookup, known issues.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchKnownIssue, stackText } from '../../src/actors/tracers/dload/capture.js';
import { DEFAULT_IOWAIT_FRAMES, isIowaitStack } from '../../src/actors/tracers/dload/counts.js';
import { findFreezerMount } from '../../src/actors/tracers/dload/freezer.js';
import { parseProcPidCgroup, parseStat } from '../../src/procfs/index.js';

test('stat: a comm with spaces and parentheses; the last CPU (field 39)', () => {
  assert.deepEqual(parseStat('1234 (a) b (c)) D 1 2 3 4'), { tid: 1234, comm: 'a) b (c)', state: 'D' });
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 4)); // fields 4..53
  fields[35] = '1'; // field 39: processor
  assert.deepEqual(parseStat(`7 (x) S ${fields.join(' ')}`), { tid: 7, comm: 'x', state: 'S', cpu: 1 });
  assert.equal(parseStat('garbage'), undefined);
});

test('freezer: mount from mountinfo and path from /proc/<tid>/cgroup', () => {
  const mountinfo = [
    '30 23 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
    '35 23 0:31 / /sys/fs/cgroup/cpu rw,nosuid - cgroup cgroup rw,cpu',
    '40 23 0:36 / /sys/fs/cgroup/free\\040zer rw,nosuid - cgroup cgroup rw,freezer',
  ].join('\n');
  assert.equal(findFreezerMount(mountinfo), '/sys/fs/cgroup/free zer');
  assert.equal(findFreezerMount(mountinfo.split('\n')[0]!), undefined);
  assert.equal(parseProcPidCgroup('12:cpu:/x\n7:freezer:/a/b\n0::/u').v1.get('freezer'), '/a/b');
  assert.equal(parseProcPidCgroup('0::/only-v2').v1.get('freezer'), undefined);
});

test('iowait frames: block waits yes, vfork no', () => {
  const re = new RegExp(DEFAULT_IOWAIT_FRAMES);
  assert.equal(isIowaitStack(['submit_bio_wait+0x74/0xc0', '__blkdev_direct_IO_simple+0x1c4/0x2b0'], re), true);
  assert.equal(isIowaitStack(['folio_wait_bit_common+0x1/0x2'], re), true);
  assert.equal(isIowaitStack(['kernel_clone+0x1d3/0x400', '__do_sys_vfork+0x66/0x90'], re), false);
});

test('known issues: the first matching pattern wins, else "none"', () => {
  const text = stackText('stacktrace of D task in cgroup:', [
    { tid: 1, comm: 'x', wchan: 'w', blocked_ms: 1, seen_blocked_ms: 0, iowait: false, stack: ['percpu_rwsem_wait+0x1/0x2', 'mnt_want_write+0x1/0x2'] },
  ]);
  assert.equal(text, '\nstacktrace of D task in cgroup:\nComm: x\tPid: 1\n[<0>] percpu_rwsem_wait+0x1/0x2\n[<0>] mnt_want_write+0x1/0x2\n');
  assert.equal(matchKnownIssue([{ name: 'a', pattern: 'nope' }, { name: 'fsfreeze', pattern: 'mnt_want_write' }, { name: 'b', pattern: 'percpu' }], text), 'fsfreeze');
  assert.equal(matchKnownIssue([], text), 'none');
});
