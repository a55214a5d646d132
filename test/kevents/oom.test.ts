// oom end to end: an allocator in a memory-limited test container (v1 memory cgroup with
// memory.limit_in_bytes 64 MiB, plus its unified directory) is OOM-killed -> one oom event
// naming the victim and its container, with a host meminfo snapshot. Run twice: with this
// kernel's BTF (6.18: mark_victim passes the task -> kevents_oom), and with a synthetic BTF
// whose mark_victim passes `int pid` like kernels before 6.9 -> the kevents_oom_pid variant,
// really loaded and attached here (its classic tracepoint record starts with the pid on both).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oomSettingsSchema, type OomSettings } from '../../src/actors/tracers/oom/config.js';
import { OomTracer, type OomEventData } from '../../src/actors/tracers/oom/index.js';
import { createTestCgroup, TEST_CGROUP_PARENT, moveToCgroup, removeTestCgroup, spawnWorkload, waitFor, type TestCgroup, type Workload } from '../support/host.js';
import { testContext, type TestContext } from '../support/tracer-context.js';
import { fakeKernelBtf } from '../support/btf-writer.js';

const PRE_6_9_BTF = { markVictim: 'pid', blockIoStart: false, ringbuf: true, switchPrevState: true, percpuLookup: true, threadInfoCpu: true } as const;

for (const variant of ['task', 'pid'] as const) describe(`oom event (${variant} variant)`, () => {
  let cg: TestCgroup | undefined;
  let allocator: Workload | undefined;
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let ctx: TestContext<OomSettings> | undefined;
  after(async () => {
    abort.abort();
    await running?.catch(() => undefined);
    ctx?.closeAll();
    await allocator?.kill();
    await removeTestCgroup(cg);
  });

  it('an allocator OOM-killed in a memory-limited container gives an event naming it', async () => {
    cg = createTestCgroup(`kev-oom-${variant}`, { v1: ['memory'] });
    writeFileSync(join(cg.v1Paths.memory!, 'memory.limit_in_bytes'), `${64 * 1024 * 1024}\n`);
    const settings = oomSettingsSchema.parse({ containers: { plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [] } });
    ctx = testContext<OomSettings>('oom', settings, abort.signal);
    const tracer = new OomTracer();
    if (variant === 'pid') tracer.spec = { ...tracer.spec, probe: { btfPath: fakeKernelBtf(PRE_6_9_BTF).writeTemp() } };
    let attached = false;
    tracer.onAttached = () => (attached = true);
    running = tracer.start(ctx);
    await waitFor(() => attached, { timeoutMs: 5000, what: 'the oom program attached' });
    assert.equal(tracer.variant, variant, 'the program chosen from the (real or synthetic) BTF');

    // Waits for a line on stdin, so that it allocates only once inside the cgroup.
    allocator = spawnWorkload('python3', ['-c', 'import sys\nsys.stdin.readline()\na=[]\nwhile True: a.append(b"\\x01" * (1 << 20))'], { stdio: ['pipe', 'ignore', 'ignore'] });
    moveToCgroup(allocator.pid, cg);
    allocator.child.stdin?.end('go\n');
    assert.equal(await allocator.exited, 'SIGKILL', 'the OOM killer killed the allocator');

    await waitFor(() => ctx!.saved.some((s) => (s.data as OomEventData).victim.pid === allocator!.pid), { timeoutMs: 10_000, what: 'the oom event' });
    const event = ctx.saved.find((s) => (s.data as OomEventData).victim.pid === allocator!.pid)!;
    const data = event.data as OomEventData;
    assert.equal(event.type, 'event');
    assert.equal(data.victim.comm, 'python3');
    assert.equal(data.victim.container_id, `kev-oom-${variant}`);
    assert.equal(event.container?.id, `kev-oom-${variant}`);
    assert.equal(data.victim.cgroup_id, cg.id.toString(), 'the victim\'s v2 cgroup id, read in BPF');
    assert.ok(data.memory_snapshot.host_meminfo.MemTotal! > 0);
    assert.ok(data.victim.total_vm_bytes > 0);
    console.log(`oom event (${variant}): ${JSON.stringify(data.victim)} trigger ${JSON.stringify(data.trigger)}`);
  });
});
