// iotracing end to end through its own loop (start() with a test context, real BPF, real
// loop device): fio saturating an ext4 file system on a loop device, with thresholds lowered
// by config, gives exactly one event naming the device, the writing process, its file and
// non-zero disk bytes; a dd throttled by a v1 blkio rule on the same device shows up in the
// blocked-stacks list; a second saturation within the cooldown gives none, also after a
// "supervisor restart" (a fresh tracer object with the same ledger).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { iotracingSettingsSchema, type IotracingSettings } from '../../src/actors/tracers/iotracing/config.js';
import { IotracingTracer, type IotracingEventData } from '../../src/actors/tracers/iotracing/index.js';
import { createTestCgroup, moveToCgroup, removeTestCgroup, spawnWorkload, waitFor, type TestCgroup, type Workload, TEST_CGROUP_PARENT } from '../support/host.js';
import { CooldownLedger, testContext, type TestContext } from '../support/tracer-context.js';
import { createLoopFs, destroyLoopFs, setWriteThrottle, type LoopFs } from './loopdev.js';

describe('iotracing tracer on a saturated loop device', () => {
  let fs: LoopFs | undefined;
  let cg: TestCgroup | undefined;
  const workloads: Workload[] = [];
  const contexts: Array<TestContext<IotracingSettings>> = [];
  const aborts: AbortController[] = [];
  const runs: Array<Promise<void>> = [];
  after(async () => {
    for (const a of aborts) a.abort();
    for (const r of runs) await r.catch(() => undefined);
    // Throttle off BEFORE killing: a throttled process cannot die until its IO completes.
    if (cg !== undefined && fs !== undefined) setWriteThrottle(cg.v1Paths.blkio ?? '', fs.major, fs.minor, 0);
    for (const w of workloads) await w.kill();
    for (const c of contexts) c.closeAll();
    await removeTestCgroup(cg);
    destroyLoopFs(fs);
  });

  it('one event with device, process, file path, disk bytes and blocked stacks; none within the cooldown', async () => {
    fs = createLoopFs('iot-sat');
    cg = createTestCgroup('iot-throttle', { v1: ['blkio'] });
    const settings = iotracingSettingsSchema.parse({
      intervalSeconds: 0.5,
      durationSeconds: 3,
      devices: { include: [`^${fs.name}$`] },
      thresholds: { utilPercent: 20 },
      blockedMinUs: 1000,
      containers: { plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [] },
    });
    const ledger = new CooldownLedger();
    const abort = new AbortController();
    aborts.push(abort);
    const ctx = testContext<IotracingSettings>('iotracing', settings, abort.signal, { ledger, cooldownSeconds: 600 });
    contexts.push(ctx);
    const tracer = new IotracingTracer();
    runs.push(tracer.start(ctx));

    // A throttled direct-IO writer (1 MiB/s on this loop device) in the test cgroup...
    setWriteThrottle(cg.v1Paths.blkio!, fs.major, fs.minor, 1024 * 1024);
    const slow = spawnWorkload('sh', ['-c', `read go; exec dd if=/dev/zero of=${fs.mnt}/slow bs=256k count=400 oflag=direct status=none`], { stdio: ['pipe', 'ignore', 'ignore'] });
    workloads.push(slow);
    moveToCgroup(slow.pid, cg);
    slow.child.stdin?.end('go\n');
    // ...and an unthrottled fio saturating the same device.
    const fio = spawnWorkload('fio', ['--name=sat', `--filename=${fs.mnt}/data`, '--size=64M', '--rw=randwrite', '--bs=4k', '--direct=1', '--ioengine=psync', '--thread', '--time_based', '--runtime=60']);
    workloads.push(fio);

    await waitFor(() => ctx.saved.length >= 1, { timeoutMs: 30_000, what: 'an iotracing event' });
    const data = ctx.saved[0]!.data as IotracingEventData;
    const reason = data.reason_snapshot;
    assert.equal(reason.device, fs.name);
    assert.deepEqual([reason.major, reason.minor], [fs.major, fs.minor]);
    assert.equal(reason.type, 'ioutil');
    assert.ok(reason.iostatus.io_util > 20, reason.summary);
    assert.match(reason.summary, new RegExp(`on ${fs.name}\\(7:${fs.minor}\\)`));

    // --thread: the jobs are threads of the fio process we started (one PID to kill).
    const writer = data.process_file_io_stats.find((p) => p.pid === fio.pid);
    assert.ok(writer, `fio among the processes: ${JSON.stringify(data.process_file_io_stats.map((p) => [p.pid, p.comm]))}`);
    assert.equal(writer.comm, 'fio');
    assert.ok(writer.total_disk_write_bytes > 0 && writer.total_disk_write_bps > 0, JSON.stringify(writer));
    assert.ok(writer.total_fs_write_bps > 0, 'file-system-level bytes from /proc/<pid>/io');
    const file = writer.total_files.find((f) => f.path === `${fs!.mnt}/data` || f.candidate_paths.includes(`${fs!.mnt}/data`));
    assert.ok(file, `the written file is named: ${JSON.stringify(writer.total_files)}`);
    assert.equal(file.dev_name, fs.name);
    assert.ok(file.disk_write_bytes > 0 && file.ios > 0 && file.d2c_us >= 0 && file.q2c_us >= file.d2c_us - 1, JSON.stringify(file));

    const blocked = data.io_blocked_stacks.find((b) => b.tgid === slow.pid);
    assert.ok(data.io_blocked_stacks.length > 0, 'blocked stacks recorded');
    // rcu_preempt parks in TASK_IDLE (D | NOLOAD) for seconds: not an IO wait, left out.
    assert.ok(!data.io_blocked_stacks.some((b) => b.comm === 'rcu_preempt'), 'TASK_IDLE sleepers are not listed');
    assert.ok(blocked, `the throttled dd is among the blocked tasks: ${JSON.stringify(data.io_blocked_stacks.map((b) => [b.pid, b.comm, b.blocked_us]))}`);
    assert.ok(blocked.blocked_us >= 1000 && blocked.stack.length > 0, JSON.stringify(blocked));
    assert.equal(blocked.container_id, 'iot-throttle', 'the blocked task\'s container');
    assert.equal(writer.container_id, null, 'fio runs on the host');
    assert.ok(blocked.stack.some((f) => /io_schedule|blkdev|iomap_dio|submit_bio/.test(f)), blocked.stack.join(' < '));
    assert.ok(!blocked.stack.some((f) => /bpf_prog_|bpf_trace_run|\[bpf\]/.test(f)), 'no BPF / tracepoint frames');
    console.log(`event: ${reason.summary}; fio ${writer.total_disk_write_bps} B/s disk, file ${JSON.stringify(file)}; dd blocked ${blocked.blocked_us} us: ${blocked.stack.slice(0, 6).join(' < ')}`);

    // Saturation goes on: the detector fires again within the cooldown and is refused.
    const deniedBefore = (): number => ledger.log.filter((l) => l.key === fs!.name && !l.granted).length;
    await waitFor(() => deniedBefore() >= 1, { timeoutMs: 15_000, what: 'a second detection refused by the cooldown' });
    assert.equal(ctx.saved.length, 1, 'no second event within the cooldown');

    // "Supervisor restart": a fresh tracer object with the same ledger fires no event either.
    abort.abort();
    await runs[0];
    const abort2 = new AbortController();
    aborts.push(abort2);
    const ctx2 = testContext<IotracingSettings>('iotracing', settings, abort2.signal, { ledger, cooldownSeconds: 600 });
    contexts.push(ctx2);
    const seen = deniedBefore();
    runs.push(new IotracingTracer().start(ctx2));
    await waitFor(() => deniedBefore() > seen, { timeoutMs: 15_000, what: 'the restarted tracer refused by the cooldown' });
    assert.equal(ctx2.saved.length, 0);
    assert.equal(ctx.saved[0]!.type, undefined, 'an autotracing capture (default type)');
  });
});

describe('iotracing manual capture of buffered, fsync-ed writes', () => {
  let fs: LoopFs | undefined;
  const workloads: Workload[] = [];
  const contexts: Array<TestContext<IotracingSettings>> = [];
  after(async () => {
    for (const w of workloads) await w.kill();
    for (const c of contexts) c.closeAll();
    destroyLoopFs(fs);
  });

  it('names the file by inode (page-cache pages carry it) and is stored as a manual capture', async () => {
    fs = createLoopFs('iot-buf');
    const settings = iotracingSettingsSchema.parse({ durationSeconds: 1.5, containers: { plainRoots: [], scanRoots: [] } });
    const ctx = testContext<IotracingSettings>('iotracing', settings, new AbortController().signal);
    contexts.push(ctx);
    // Buffered writes with an fsync after each: writeback runs in fio's own context.
    const fio = spawnWorkload('fio', ['--name=buf', `--filename=${fs.mnt}/buffered`, '--size=32M', '--rw=write', '--bs=64k', '--fsync=1', '--direct=0', '--thread', '--time_based', '--runtime=60']);
    workloads.push(fio);
    await waitFor(() => readFileSync('/proc/diskstats', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[2] === fs!.name && Number(l.trim().split(/\s+/)[7]) > 100), { timeoutMs: 10_000, what: 'fio writing' });
    await new IotracingTracer().trigger({ reason: `device=${fs.name} test` }, ctx);
    assert.equal(ctx.saved.length, 1);
    const data = ctx.saved[0]!.data as IotracingEventData;
    assert.equal(data.reason_snapshot.device, fs.name);
    const writer = data.process_file_io_stats.find((p) => p.pid === fio.pid);
    assert.ok(writer, JSON.stringify(data.process_file_io_stats.map((p) => [p.pid, p.comm])));
    const file = writer.total_files.find((f) => f.inode !== 0 && f.path === `${fs!.mnt}/buffered`);
    assert.ok(file, `file named by inode: ${JSON.stringify(writer.total_files)}`);
    assert.ok(file.disk_write_bytes > 0);
    assert.ok(ctx.ledger.log.length === 0, 'a manual capture neither consults nor arms the cooldown');
  });
});
