// iotracing's pre-6.5 request-start fallback (issue #13 item 6), forced on this 6.18 kernel
// with the `startProgram: 'fallback'` knob: iot_rq_insert (block_rq_insert) loads instead of
// iot_io_start (block_io_start). A loop disk with ext4, the file-io workload in a test
// cgroup (direct writes, buffered writes written back by the flusher, buffered reads), once
// with no IO scheduler (requests issued directly: first seen at block_rq_issue) and once
// with mq-deadline (requests inserted: first seen at block_rq_insert). Each capture must
// name the workload, its files, and non-zero device latency.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { captureIo, type CaptureResult, type FileStat } from '../../src/actors/tracers/iotracing/capture.js';
import { IO_START_PROGRAMS } from '../../src/actors/tracers/iotracing/start-program.js';
import { BpfObject, enableBpfStats } from '../../src/native/index.js';
import type { Workload } from '../support/host.js';
import { startFileIoWorkload, stopFileIoWorkload, type FileIoWorkload } from './file-io-workload.js';
import { createLoopFs, destroyLoopFs, type LoopFs } from './loopdev.js';

describe('iotracing with the pre-6.5 start fallback (forced)', () => {
  let fs: LoopFs | undefined;
  let workload: FileIoWorkload | undefined;
  let worker: Workload | undefined;
  const schedulerPath = (): string => `/sys/block/${fs!.name}/queue/scheduler`;
  before(async () => {
    fs = createLoopFs('iot-fallback');
    workload = await startFileIoWorkload(fs.mnt, 'iot-fallback');
    worker = workload.worker;
  });
  after(async () => {
    await stopFileIoWorkload(workload);
    destroyLoopFs(fs); // the scheduler choice goes with the loop device
  });

  /** The capture, the programs it loaded and how often each ran (BPF run-time stats, while the capture's fd is open). */
  async function captureWithFallback(): Promise<{ result: CaptureResult; loaded: string[]; runs: Map<string, bigint> }> {
    let loaded: string[] = [];
    const runs = new Map<string, bigint>();
    const stats = enableBpfStats();
    try {
      const result = await captureIo((name, o) => {
        const object = BpfObject.openBuilt(name, o);
        loaded = object.programs().filter((p) => p.id > 0).map((p) => p.name);
        const close = object.close.bind(object);
        object.close = () => {
          for (const p of object.programStats()) runs.set(p.name, p.runCount);
          close();
        };
        return object;
      }, { seconds: 2.5, device: { major: fs!.major, minor: fs!.minor }, maxProcesses: 50, maxFilesPerProcess: 50, maxBlockedStacks: 5, blockedMinUs: 1000, pollMs: 200, startProgram: 'fallback' });
      return { result, loaded, runs };
    } finally {
      stats.close();
    }
  }

  function assertNamesTheWorkload(result: CaptureResult, label: string): void {
    const rows = result.process_file_io_stats;
    const summary = JSON.stringify(rows.map((r) => [r.pid, r.comm, r.total_files.map((f) => [f.inode, f.path, f.disk_read_bytes, f.disk_write_bytes, f.disk_writeback_bytes, f.q2c_us, f.d2c_us])]));
    const mine = rows.find((r) => r.pid === worker!.pid);
    assert.ok(mine, `${label}: the workload is a row: ${summary}`);
    assert.equal(mine.comm, 'python3');
    const file = (name: string): FileStat => {
      const path = `${fs!.mnt}/${name}`;
      const f = mine.total_files.find((x) => x.path === path);
      assert.ok(f, `${label}: ${path} named by path: ${summary}`);
      assert.equal(f.inode, Number(statSync(path).ino));
      assert.deepEqual([f.major, f.minor], [fs!.major, fs!.minor]);
      assert.ok(f.ios > 0 && f.max_d2c_us > 0 && f.max_q2c_us >= f.max_d2c_us, `${label}: ${name} device latency: ${JSON.stringify(f)}`);
      return f;
    };
    assert.ok(file('direct.dat').disk_write_bytes > 0, `${label}: direct writes`);
    assert.ok(file('read.dat').disk_read_bytes > 0, `${label}: reads`);
    assert.ok(file('buffered.dat').disk_writeback_bytes > 0, `${label}: the flusher's writeback is charged to the dirtier`);
  }

  for (const scheduler of ['none', 'mq-deadline']) {
    it(`scheduler ${scheduler}: the fallback program loads and the capture names the process, its files and device latency`, async () => {
      writeFileSync(schedulerPath(), scheduler);
      assert.match(readFileSync(schedulerPath(), 'utf8'), new RegExp(`\\[${scheduler}\\]`));
      const { result, loaded, runs } = await captureWithFallback();
      assert.ok(loaded.includes(IO_START_PROGRAMS.fallback.program), `loaded: ${loaded.join(', ')}`);
      assert.ok(!loaded.includes(IO_START_PROGRAMS.block_io_start.program), `the 6.5+ program stays unloaded: ${loaded.join(', ')}`);
      // Requests of the loop disk (the capture's only target) that no start program saw.
      const ios = result.process_file_io_stats.flatMap((p) => p.total_files).reduce((n, f) => n + f.ios, 0);
      const firstAtIssue = result.capture_stats.issueFirstSeen;
      console.log(`scheduler ${scheduler}: ${ios} completed requests, ${firstAtIssue} first seen at issue; runs (every disk) ${['iot_rq_insert', 'iot_rq_issue'].map((n) => `${n}=${runs.get(n) ?? '?'}`).join(' ')}`);
      if (scheduler === 'none') {
        assert.ok(firstAtIssue >= ios / 2, `without a scheduler the requests are first seen at issue: ${firstAtIssue} of ${ios}`);
      } else {
        // With a scheduler they are inserted: iot_rq_insert stamped them, not the issue path.
        assert.ok((runs.get(IO_START_PROGRAMS.fallback.program) ?? 0n) > 0n, 'iot_rq_insert ran');
        assert.ok(firstAtIssue < ios / 2, `with mq-deadline most requests are first seen at insert: ${firstAtIssue} of ${ios} at issue`);
      }
      assertNamesTheWorkload(result, `fallback, ${scheduler}`);
    });
  }
});
