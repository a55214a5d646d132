// hungtask end to end: a task in TASK_UNINTERRUPTIBLE (not killable) longer than a lowered
// kernel.hung_task_timeout_secs -> one event with its /proc stack. The vfork recipe cannot
// be used here: a vfork parent sleeps TASK_KILLABLE, which khungtaskd skips by design, so
// the blocked task is a writer on a frozen file system (fsfreeze; percpu_rwsem_wait). If
// this kernel lacks CONFIG_DETECT_HUNG_TASK or the tracepoint, the test asserts
// `unavailable` instead.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hungtaskSettingsSchema, type HungtaskSettings } from '../../src/actors/tracers/hungtask/config.js';
import { HungtaskTracer, type HungtaskEventData } from '../../src/actors/tracers/hungtask/index.js';
import { tracepointUnavailableReason } from '../../src/native/bpf/kevents.js';
import { spawnWorkload, waitFor, type Workload } from '../support/host.js';
import { testContext, type TestContext } from '../support/tracer-context.js';
import { createLoopFs, destroyLoopFs, type LoopFs } from '../iotracing/loopdev.js';
import { saveSysctls, writeSysctl } from './sysctl.js';

const hungTaskSupported = existsSync('/proc/sys/kernel/hung_task_timeout_secs') && tracepointUnavailableReason('sched', 'sched_process_hang') === undefined;

describe('hungtask event', () => {
  let fs: LoopFs | undefined;
  let sysctls: { restore(): void } | undefined;
  let writer: Workload | undefined;
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let ctx: TestContext<HungtaskSettings> | undefined;
  after(async () => {
    sysctls?.restore();
    abort.abort();
    await running?.catch(() => undefined);
    ctx?.closeAll();
    if (fs !== undefined) spawnSync('fsfreeze', ['-u', fs.mnt]); // thaw BEFORE killing the blocked writer
    await writer?.kill();
    destroyLoopFs(fs);
  });

  it(hungTaskSupported ? 'a task blocked past hung_task_timeout_secs gives one event with its stack' : 'is unavailable on this kernel (no CONFIG_DETECT_HUNG_TASK or tracepoint)', async () => {
    const settings = hungtaskSettingsSchema.parse({ containers: { plainRoots: [], scanRoots: [] } });
    ctx = testContext<HungtaskSettings>('hungtask', settings, abort.signal);
    const tracer = new HungtaskTracer();
    let attached = false;
    tracer.onAttached = () => (attached = true);
    running = tracer.start(ctx);
    if (!hungTaskSupported) {
      await assert.rejects(running, (err: { code?: string }) => err.code === 'TRACER_UNAVAILABLE');
      return;
    }
    await waitFor(() => attached, { timeoutMs: 5000, what: 'the hungtask program attached' });
    fs = createLoopFs('kev-hang', 64);
    spawnSync('fsfreeze', ['-f', fs.mnt]);
    writer = spawnWorkload('sh', ['-c', `echo x > ${fs.mnt}/blocked`]);
    const pid = writer.pid;
    await waitFor(() => spawnSync('cat', [`/proc/${pid}/wchan`], { encoding: 'utf8' }).stdout.includes('rwsem'), { timeoutMs: 5000, what: 'the writer blocked on the frozen fs' });
    sysctls = saveSysctls(['kernel.hung_task_timeout_secs', 'kernel.hung_task_warnings']);
    writeSysctl('kernel.hung_task_timeout_secs', '2');

    const mine = (): Array<{ data: HungtaskEventData }> => ctx!.saved.filter((s) => (s.data as HungtaskEventData).pid === pid) as Array<{ data: HungtaskEventData }>;
    await waitFor(() => mine().length >= 1, { timeoutMs: 20_000, what: 'a hungtask event for the blocked writer' });
    const event = ctx.saved.find((s) => (s.data as HungtaskEventData).pid === pid)!;
    assert.equal(event.type, 'event');
    const data = event.data as HungtaskEventData;
    assert.equal(data.comm, 'sh');
    assert.equal(data.state, 'D');
    assert.equal(data.hung_task_timeout_secs, 2);
    assert.ok(data.stack.some((f) => /percpu_rwsem_wait|mnt_want_write|sb_start_write/.test(f)), data.stack.join(' < '));
    console.log(`hungtask event: pid ${data.pid} ${data.comm} wchan ${data.wchan}; stack ${data.stack.slice(0, 4).join(' < ')}`);
    // khungtaskd reports it again at its next checks: the per-task cooldown keeps one event.
    await waitFor(() => ctx!.ledger.log.some((l) => l.key === `tid:${pid}` && !l.granted), { timeoutMs: 15_000, what: 'a repeated report refused by the cooldown' });
    assert.equal(mine().length, 1);
  });
});
