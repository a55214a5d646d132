// Reclaim: the programs attach on this kernel (a real >900 ms global direct reclaim
// cannot be provoked on a shared test VM, so that document is unit-tested in layout.test.ts),
// a container reclaiming at its own memory limit gives a memcg event naming it, and a
// missing tracepoint makes the tracer `unavailable` instead of crashing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reclaimSettingsSchema, type ReclaimSettings } from '../../src/actors/tracers/reclaim/config.js';
import { ReclaimTracer, type ReclaimEventData } from '../../src/actors/tracers/reclaim/index.js';
import { OomTracer } from '../../src/actors/tracers/oom/index.js';
import { oomSettingsSchema, type OomSettings } from '../../src/actors/tracers/oom/config.js';
import { createTestCgroup, moveToCgroup, removeTestCgroup, spawnWorkload, TEST_CGROUP_PARENT, waitFor, type TestCgroup, type Workload } from '../support/host.js';
import { testContext, type TestContext } from '../support/tracer-context.js';

describe('reclaim event tracer', () => {
  it('attaches begin/end and stops cleanly', async () => {
    const abort = new AbortController();
    const ctx = testContext<ReclaimSettings>('reclaim', reclaimSettingsSchema.parse({ containers: { plainRoots: [], scanRoots: [] } }), abort.signal);
    const tracer = new ReclaimTracer();
    let programs: string[] = [];
    tracer.onAttached = (o) => (programs = o.programs().filter((p) => p.attached).map((p) => p.name).sort());
    const running = tracer.start(ctx);
    try {
      await waitFor(() => programs.length > 0, { timeoutMs: 5000, what: 'attached programs' });
      assert.deepEqual(programs, ['kev_memcg_reclaim_begin', 'kev_memcg_reclaim_end', 'kev_reclaim_begin', 'kev_reclaim_end']);
    } finally {
      abort.abort();
      await running;
      ctx.closeAll();
    }
    assert.equal(ctx.objects.every((o) => o.closed), true);
  });

  it('missing tracepoints -> TracerUnavailableError (reclaim and oom)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kev-notp-'));
    try {
      mkdirSync(join(root, 'events'));
      const r = new ReclaimTracer();
      r.specOverride = { probe: { tracefsRoot: root } };
      const ctx = testContext<ReclaimSettings>('reclaim', reclaimSettingsSchema.parse({}), new AbortController().signal);
      await assert.rejects(r.start(ctx), (err: { code?: string; message: string }) => err.code === 'TRACER_UNAVAILABLE' && /mm_vmscan_direct_reclaim_begin/.test(err.message));
      const o = new OomTracer();
      o.spec = { ...o.spec, probe: { tracefsRoot: root } };
      const ctx2 = testContext<OomSettings>('oom', oomSettingsSchema.parse({}), new AbortController().signal);
      await assert.rejects(o.start(ctx2), (err: { code?: string; message: string }) => err.code === 'TRACER_UNAVAILABLE' && /mark_victim/.test(err.message));
      assert.equal(ctx.objects.length + ctx2.objects.length, 0, 'nothing loaded');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a container reading more file data than its memory limit gives a memcg reclaim event naming it', async (t) => {
    let cg: TestCgroup | undefined;
    let reader: Workload | undefined;
    let ctx: TestContext<ReclaimSettings> | undefined;
    let running: Promise<void> | undefined;
    const abort = new AbortController();
    const dir = mkdtempSync(join(tmpdir(), 'kev-memcg-'));
    t.after(async () => {
      abort.abort();
      await running?.catch(() => undefined);
      ctx?.closeAll();
      await reader?.kill();
      await removeTestCgroup(cg);
      rmSync(dir, { recursive: true, force: true });
    });
    // 32 MiB limit, 96 MiB file read over and over: page cache charged to the cgroup must be
    // reclaimed by the cgroup's own tasks (try_to_free_mem_cgroup_pages), never globally.
    cg = createTestCgroup('kev-memcg', { v1: ['memory'] });
    writeFileSync(join(cg.v1Paths.memory!, 'memory.limit_in_bytes'), `${32 * 1024 * 1024}\n`);
    // The rule under test, with a threshold low enough for a short test: 1 ms in 1 s.
    const settings = reclaimSettingsSchema.parse({ memcgThresholdMs: 1, memcgWindowMs: 1000, containers: { plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [] } });
    ctx = testContext<ReclaimSettings>('reclaim', settings, abort.signal);
    const tracer = new ReclaimTracer();
    let attached = false;
    tracer.onAttached = () => (attached = true);
    running = tracer.start(ctx);
    await waitFor(() => attached, { timeoutMs: 5000, what: 'the reclaim programs attached' });

    // The file is written (and synced, then dropped from the page cache) outside the cgroup:
    // written inside it, the first reclaim passes met dirty pages under writeback and could
    // reclaim nothing (an event with nr_reclaimed_pages 0, seen in a full-suite run). Read
    // back inside the cgroup, every page is clean and reclaimable.
    const file = join(dir, 'data');
    const made = spawnSync('sh', ['-c', `dd if=/dev/zero of=${file} bs=1M count=96 status=none conv=fsync && dd if=${file} iflag=nocache count=0 status=none`]);
    assert.equal(made.status, 0, String(made.stderr));
    const script = `read go; while true; do cat ${file} > /dev/null; done`;
    reader = spawnWorkload('sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
    moveToCgroup(reader.pid, cg);
    reader.child.stdin?.end('go\n');

    const memcgEvent = (): ReclaimEventData | undefined => ctx!.saved.map((s) => s.data as ReclaimEventData).find((d) => d.scope === 'memcg' && d.container_id === 'kev-memcg');
    await waitFor(() => memcgEvent() !== undefined, { timeoutMs: 20_000, what: 'a memcg reclaim event for kev-memcg' });
    const data = memcgEvent()!;
    const event = ctx.saved.find((s) => s.data === data)!;
    assert.equal(event.type, 'event');
    assert.equal(event.container?.id, 'kev-memcg');
    assert.ok(['dd', 'cat', 'sh'].includes(data.comm), `the reclaiming task is the workload, got ${data.comm}`);
    assert.ok(data.reclaim_duration_ns >= 1_000_000, `summed reclaim time ${data.reclaim_duration_ns} ns reached the 1 ms threshold`);
    assert.ok(data.nr_reclaimed_pages > 0);
    assert.equal(data.window_ns, 1_000_000_000);
    assert.equal(data.memory_cgroup_id, statSync(cg.v1Paths.memory!).ino.toString(), 'keyed by the v1 memory cgroup (its directory inode)');
    const count = ctx.saved.filter((s) => (s.data as ReclaimEventData).scope === 'memcg' && (s.data as ReclaimEventData).container_id === 'kev-memcg').length;
    assert.equal(count, 1, 'the cooldown (60 s) lets one event per cgroup through');
    console.log(`memcg reclaim event: ${JSON.stringify(data)}`);
  });
});

