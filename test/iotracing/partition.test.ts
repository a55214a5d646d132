// iotracing on a partitioned disk (issue #13 item 1): a loop disk with an MBR partition
// (losetup -P + sfdisk), ext4 on the partition, one process in a test cgroup doing direct
// writes, buffered writes flushed by the kernel's flusher (syncfs) and buffered reads. With
// the whole disk as target and with the partition as target, the capture must name the real
// process (not a kworker), each file's path and inode, and non-zero device latency.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { captureIo, type CaptureOptions, type CaptureResult, type FileStat } from '../../src/actors/tracers/iotracing/capture.js';
import { resolveTargetDisks } from '../../src/actors/tracers/iotracing/block-topology.js';
import { BpfObject } from '../../src/native/index.js';
import { ContainerResolver } from '../../src/containers/index.js';
import { containersConfigSchema } from '../../src/containers/config.js';
import { TEST_CGROUP_PARENT, type Workload } from '../support/host.js';
import { startFileIoWorkload, stopFileIoWorkload, type FileIoWorkload } from './file-io-workload.js';
import { createPartitionedLoopFs, destroyLoopFs, type LoopFs } from './loopdev.js';
import { SysfsFixture } from './sysfs-fixture.js';

describe('iotracing on a partitioned loop disk', () => {
  let fs: LoopFs | undefined;
  let workload: FileIoWorkload | undefined;
  let worker: Workload | undefined;
  before(async () => {
    fs = createPartitionedLoopFs('iot-part');
    workload = await startFileIoWorkload(fs.mnt, 'iot-part');
    worker = workload.worker;
  });
  after(async () => {
    await stopFileIoWorkload(workload);
    destroyLoopFs(fs);
  });

  const capture = (device: { major: number; minor: number }, sysRoot?: string): Promise<CaptureResult> => {
    const resolver = new ContainerResolver(containersConfigSchema.parse({ plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [] }));
    const options: CaptureOptions = {
      seconds: 2.5, device, ...(sysRoot !== undefined ? { sysRoot } : {}), maxProcesses: 50, maxFilesPerProcess: 50, maxBlockedStacks: 5, blockedMinUs: 1000, pollMs: 200,
      containerOf: (pid) => {
        const c = resolver.ofPid(pid);
        return c === undefined ? undefined : { id: c.id };
      },
    };
    return captureIo((name, o) => BpfObject.openBuilt(name, o), options);
  };

  function assertNamesTheProcessAndFiles(result: CaptureResult, target: string): void {
    const p = fs!;
    const rows = result.process_file_io_stats;
    const summary = JSON.stringify(rows.map((r) => [r.pid, r.comm, r.total_files.map((f) => [f.dev_name, f.inode, f.path, f.disk_read_bytes, f.disk_write_bytes, f.disk_writeback_bytes, f.d2c_us])]));
    const mine = rows.find((r) => r.pid === worker!.pid);
    assert.ok(mine, `${target}: the workload is a row: ${summary}`);
    assert.equal(mine.comm, 'python3');
    assert.equal(mine.container_id, 'iot-part', `${target}: the workload's test cgroup`);
    const file = (name: string): FileStat => {
      const path = `${p.mnt}/${name}`;
      const f = mine.total_files.find((x) => x.path === path);
      assert.ok(f, `${target}: ${path} named by path: ${summary}`);
      assert.equal(f.inode, Number(statSync(path).ino), `${target}: ${name} inode`);
      assert.equal(f.dev_name, p.name, `${target}: ${name} on the partition ${p.name}`);
      assert.deepEqual([f.major, f.minor], [p.major, p.minor]);
      assert.ok(f.ios > 0 && f.max_d2c_us > 0 && f.max_q2c_us >= f.max_d2c_us, `${target}: ${name} device latency: ${JSON.stringify(f)}`);
      return f;
    };
    assert.ok(file('direct.dat').disk_write_bytes > 0, `${target}: direct writes`);
    assert.ok(file('read.dat').disk_read_bytes > 0, `${target}: reads`);
    const buffered = file('buffered.dat');
    assert.ok(buffered.disk_writeback_bytes > 0, `${target}: the flusher's writeback of buffered.dat is charged to the process that dirtied it: ${JSON.stringify(buffered)}`);
    // Pages dirtied before the capture started are written back unattributed (kworker rows);
    // everything dirtied during it is the workload's.
    const bufferedIno = buffered.inode;
    const kworkerBytes = rows.filter((r) => r.pid !== worker!.pid).flatMap((r) => r.total_files).filter((f) => f.inode === bufferedIno).reduce((s, f) => s + f.disk_write_bytes, 0);
    assert.ok(buffered.disk_writeback_bytes >= kworkerBytes, `${target}: most of buffered.dat's writeback is the workload's (${buffered.disk_writeback_bytes} vs ${kworkerBytes} unattributed)`);
    assert.ok(!rows.some((r) => r.pid !== worker!.pid && r.total_files.some((f) => f.inode === Number(statSync(`${p.mnt}/direct.dat`).ino))), `${target}: nobody else holds the direct writes`);
  }

  it('the whole disk as target', async () => {
    const result = await capture({ major: fs!.disk!.major, minor: fs!.disk!.minor });
    assert.deepEqual(result.capture_disks, [fs!.disk!.name]);
    assertNamesTheProcessAndFiles(result, `disk ${fs!.disk!.name}`);
  });

  it('the partition as target', async () => {
    assert.deepEqual(resolveTargetDisks({ major: fs!.major, minor: fs!.minor }).disks.map((d) => d.name), [fs!.disk!.name], 'a partition resolves to its disk');
    const result = await capture({ major: fs!.major, minor: fs!.minor });
    assert.deepEqual(result.capture_disks, [fs!.disk!.name]);
    assertNamesTheProcessAndFiles(result, `partition ${fs!.name}`);
  });

  it('an md device built on the partition (sysfs fixture: no md in this kernel) captures the partition\'s IO', async (t) => {
    // md9 (9:9, absent from this host) whose only slave is the real partition: the capture
    // must record the real disk's requests, i.e. the workload's IO.
    const sysfs = new SysfsFixture();
    t.after(() => sysfs.remove());
    const disk = fs!.disk!;
    sysfs.device(disk.name, `${disk.major}:${disk.minor}`);
    sysfs.device(`${disk.name}/${fs!.name}`, `${fs!.major}:${fs!.minor}`, { partition: true });
    sysfs.device('md9', '9:9', { slaves: [fs!.name] });
    const result = await capture({ major: 9, minor: 9 }, sysfs.root);
    assert.deepEqual(result.capture_disks, ['md9', disk.name]);
    assertNamesTheProcessAndFiles(result, 'md9 over the partition');
  });
});
