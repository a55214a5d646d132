// dload with realistic IO-wait D tasks and the v1 freezer caveat: direct-IO dd readers of a
// loop device under a v1 blkio read throttle (D in submit_bio_wait, counted in nr_iowait),
// plus a sleeping process frozen by the v1 freezer (/proc shows it as D, with the wchan of its sleep:
// counted as nr_frozen, never as uninterruptible, never listed). Teardown removes the
// throttle and thaws BEFORE killing (throttled IO cannot be killed until it completes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dloadSettingsSchema } from '../../src/actors/tracers/dload/config.js';
import { DloadTracer, type DloadEventData } from '../../src/actors/tracers/dload/index.js';
import { spawnWorkload, waitFor, type Workload } from '../support/host.js';
import { testContext } from '../support/tracer-context.js';
import { TEST_ROOT, TestContainer, V1_CONTROLLERS, removeTestRoot, taskState, v1Mount } from './workloads.js';

const container = new TestContainer('io', 'both');
const FREEZER = join(v1Mount('freezer'), TEST_ROOT);
const READERS = 3;
const workloads: Workload[] = [];
let imageDir = '';
let loop = '';
let devNumbers = '';

const throttleFile = (): string => join(v1Mount('blkio'), TEST_ROOT, container.name, 'blkio.throttle.read_bps_device');

before(async () => {
  await removeTestRoot();
  container.create();
  imageDir = mkdtempSync(join(tmpdir(), 'autotracer-dload-loop-'));
  const image = join(imageDir, 'img');
  writeFileSync(image, '');
  spawnSync('truncate', ['-s', '16M', image]);
  const r = spawnSync('losetup', ['-f', '--show', image], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`losetup failed: ${r.stderr}`);
  loop = r.stdout.trim();
  const rdev = statSync(loop).rdev;
  devNumbers = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
  writeFileSync(throttleFile(), `${devNumbers} 4096\n`); // 4 KiB/s: each 4 KiB read waits ~1 s
  mkdirSync(FREEZER, { recursive: true });
});

after(async () => {
  const problems: string[] = [];
  const step = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push(`${what}: ${String(err)}`);
    }
  };
  // Order matters: release the IO and thaw before killing.
  if (devNumbers !== '' && existsSync(throttleFile())) step('unthrottle', () => writeFileSync(throttleFile(), `${devNumbers} 0\n`));
  if (existsSync(join(FREEZER, 'freezer.state'))) step('thaw', () => writeFileSync(join(FREEZER, 'freezer.state'), 'THAWED\n'));
  for (const w of workloads) await w.kill();
  if (existsSync(FREEZER)) {
    for (const pid of readFileSync(join(FREEZER, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      step('freezer evacuate', () => writeFileSync(join(v1Mount('freezer'), 'cgroup.procs'), `${pid}\n`));
    }
    step('freezer rmdir', () => rmdirSync(FREEZER));
  }
  if (loop !== '') step('losetup -d', () => {
    const r = spawnSync('losetup', ['-d', loop], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  });
  if (imageDir !== '') rmSync(imageDir, { recursive: true, force: true });
  problems.push(...(await removeTestRoot()));
  assert.deepEqual(problems, [], 'teardown');
});

test('throttled direct-IO readers count as D and iowait; a v1-frozen task does not count as D', async (t) => {
  const readers: number[] = [];
  for (let i = 0; i < READERS; i++) {
    // The shell joins the container before exec'ing dd, so every IO is throttled.
    const w = spawnWorkload('sh', ['-c', `read x; exec dd if=${loop} of=/dev/null bs=4k count=64 skip=${i * 64} iflag=direct`], { stdio: ['pipe', 'ignore', 'ignore'] });
    workloads.push(w);
    container.moveIn(w.pid);
    w.child.stdin?.write('\n');
    readers.push(w.pid);
  }
  const frozen = spawnWorkload('sleep', ['60']);
  workloads.push(frozen);
  container.moveIn(frozen.pid);
  writeFileSync(join(FREEZER, 'cgroup.procs'), `${frozen.pid}\n`);
  writeFileSync(join(FREEZER, 'freezer.state'), 'FROZEN\n');
  await waitFor(() => readFileSync(join(FREEZER, 'freezer.state'), 'utf8').trim() === 'FROZEN', { timeoutMs: 5000, what: 'the freezer' });
  await waitFor(() => readers.every((pid) => taskState(pid) === 'D') && taskState(frozen.pid) === 'D', { timeoutMs: 5000, what: 'readers and the frozen task in D' });
  // The caveat: /proc says D; since 6.1 the wchan/stack are those of its original sleep, not __refrigerator.
  assert.notEqual(readFileSync(`/proc/${frozen.pid}/wchan`, 'utf8'), '', 'a frozen task has a wchan');

  const settings = dloadSettingsSchema.parse({
    intervalSeconds: 0.5,
    threshold: 0.2,
    knownIssues: [{ name: 'blkio-throttle', pattern: 'submit_bio_wait' }],
    containers: { plainRoots: [TEST_ROOT], scanRoots: [], v1Controllers: [...V1_CONTROLLERS] },
  });
  const abort = new AbortController();
  const ctx = testContext('dload', settings, abort.signal);
  const tracer = new DloadTracer();
  const running = tracer.start(ctx);
  t.after(async () => {
    abort.abort();
    await running;
  });
  await waitFor(() => ctx.saved.length >= 1, { timeoutMs: 20_000, intervalMs: 100, what: 'the dload event' });
  const event = ctx.saved[0]!;
  assert.equal(event.container?.id, 'io');
  const data = event.data as DloadEventData;
  assert.equal(data.nr_uninterruptible, READERS, `D tasks: ${JSON.stringify(data.d_tasks.map((d) => [d.tid, d.wchan]))}`);
  assert.equal(data.nr_iowait, READERS);
  assert.equal(data.nr_frozen, 1);
  assert.equal(data.known_issue, 'blkio-throttle');
  assert.deepEqual(data.d_tasks.map((d) => d.tid).sort(), [...readers].sort());
  for (const d of data.d_tasks) {
    assert.equal(d.comm, 'dd');
    assert.equal(d.iowait, true);
    assert.ok(d.stack.some((f) => f.startsWith('submit_bio_wait')), d.stack.join(' < '));
  }
  assert.ok(!data.host_d_tasks.some((d) => d.tid === frozen.pid), 'the frozen task is not listed on the host either');
  assert.ok(data.host_nr_uninterruptible >= READERS);
});
