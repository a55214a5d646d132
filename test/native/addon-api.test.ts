// The native addon's API on the real kernel, with the selftest BPF object
// (src/native/bpf/selftest.bpf.c): knobs, attach/detach, ring buffer delivery in both
// modes, drops, map operations (plain, per-CPU, batch, stack traces), uprobes,
// perf events and run-time stats.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, rmdirSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject, enableBpfStats, libbpfVersion } from '../../src/native/index.js';
import { execTrue, linkedProgramIds, waitFor } from '../fixtures/native/helpers.js';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint | number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const only = (...programs: string[]): Record<string, boolean> =>
  Object.fromEntries(['on_exec', 'on_switch', 'on_uprobe', 'on_cpu_clock'].map((p) => [p, programs.includes(p)]));

// struct selftest_exec_event (src/native/bpf/selftest.h): 32 bytes.
interface ExecEvent { pid: number; tid: number; tsNs: bigint; comm: string }
const decodeExec = (record: Buffer): ExecEvent => ({
  pid: record.readUInt32LE(0),
  tid: record.readUInt32LE(4),
  tsNs: record.readBigUInt64LE(8),
  comm: record.subarray(16, 32).toString('latin1').replace(/\0.*$/s, ''),
});

describe('open and describe', () => {
  it('reports libbpf version, programs and maps; mapSizes and autoload apply before load', (t) => {
    assert.match(libbpfVersion(), /^v1\.\d+/);
    const obj = BpfObject.openBuilt('selftest', { mapSizes: { scratch: 77 }, autoload: { on_uprobe: false } });
    t.after(() => obj.close());
    assert.equal(obj.closed, false);
    assert.match(obj.path, /build\/bpf\/selftest\.bpf\.o$/);
    const programs = new Map(obj.programs().map((p) => [p.name, p]));
    assert.equal(programs.get('on_exec')?.section, 'tp_btf/sched_process_exec');
    assert.equal(programs.get('on_exec')?.type, 'tracing');
    assert.ok((programs.get('on_exec')?.id ?? 0) > 0);
    assert.equal(programs.get('on_uprobe')?.id, 0, 'autoload off: not loaded');
    assert.equal(programs.get('kprobe_vfs_read')?.id, 0, 'SEC("?...") is off by default');
    const maps = new Map(obj.maps().map((m) => [m.name, m]));
    assert.deepEqual(
      { ...maps.get('scratch'), id: 0 },
      { name: 'scratch', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 77, id: 0, perCpu: false },
    );
    assert.ok((maps.get('scratch')?.id ?? 0) > 0);
    assert.equal(maps.get('switch_count')?.perCpu, true);
    assert.equal(maps.get('events')?.type, 'ringbuf');
  });
});

describe('attach, detach, stats', () => {
  it('attach() attaches every auto-attachable program; detach() removes links; stats count runs', async (t) => {
    const stats = enableBpfStats();
    const obj = BpfObject.openBuilt('selftest');
    t.after(() => {
      obj.close();
      stats.close();
    });
    obj.attach();
    const attached = obj.programs().filter((p) => p.attached).map((p) => p.name).sort();
    assert.deepEqual(attached, ['on_exec', 'on_switch'], 'uprobe/perf_event sections need explicit targets');
    obj.attach(); // idempotent
    const switchId = obj.programs().find((p) => p.name === 'on_switch')?.id ?? -1;
    assert.ok(linkedProgramIds().has(switchId));
    execTrue(2);
    assert.ok(await waitFor(() => (obj.programStats().find((s) => s.name === 'on_switch')?.runCount ?? 0n) > 0n, 10_000));
    const execStats = obj.programStats().find((s) => s.name === 'on_exec');
    assert.ok((execStats?.runCount ?? 0n) >= 2n, `on_exec ran ${execStats?.runCount} times`);
    assert.ok((execStats?.runTimeNs ?? 0n) > 0n);
    obj.detach('on_switch');
    assert.deepEqual(obj.programs().filter((p) => p.attached).map((p) => p.name), ['on_exec']);
    assert.ok(await waitFor(() => !linkedProgramIds().has(switchId), 1000));
    obj.detach();
    assert.deepEqual(obj.programs().filter((p) => p.attached), []);
  });
});

describe('ring buffer', () => {
  it('poll mode delivers exec records in batches, with decoded pid and comm', async (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only('on_exec') });
    t.after(() => obj.close());
    obj.attach();
    const events: ExecEvent[] = [];
    let calls = 0;
    const ring = obj.openRingBuffer('events', (records) => {
      calls++;
      events.push(...records.map(decodeExec));
    });
    const pids: number[] = [];
    for (let i = 0; i < 5; i++) pids.push(spawnSync('/bin/true').pid ?? -1);
    assert.ok(await waitFor(() => pids.every((pid) => events.some((e) => e.pid === pid)), 10_000), 'not every exec arrived');
    assert.equal(events.find((e) => e.pid === pids[0])?.comm, 'true');
    // bpf_ktime_get_ns and process.hrtime share CLOCK_MONOTONIC: records are from the past.
    assert.ok(events.every((e) => e.tsNs > 0n && e.tsNs <= process.hrtime.bigint()));
    assert.ok(calls >= 1 && calls <= events.length);
    assert.equal(ring.delivered, events.length);
    assert.equal(ring.dropped, 0);
    ring.close();
    ring.close();
    const before = events.length;
    execTrue(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(events.length, before, 'records after ring.close()');
  });

  it('the rodata knob target_tgid filters in the kernel', async (t) => {
    // The shell's pid is known before it execs /bin/true, so the knob can name it.
    const child = spawn('/bin/sh', ['-c', 'read line; exec /bin/true'], { stdio: ['pipe', 'ignore', 'ignore'] });
    t.after(() => child.kill('SIGKILL'));
    const pid = child.pid ?? -1;
    const obj = BpfObject.openBuilt('selftest', { autoload: only('on_exec'), rodata: { target_tgid: pid } });
    t.after(() => obj.close());
    obj.attach();
    const events: ExecEvent[] = [];
    obj.openRingBuffer('events', (records) => events.push(...records.map(decodeExec)));
    execTrue(3); // filtered out
    child.stdin?.end('go\n');
    assert.ok(await waitFor(() => events.length > 0, 10_000), 'the targeted exec did not arrive');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(events.map((e) => e.pid), [pid]);
  });

  it('periodic mode consumes on a timer; consume() works synchronously; drops are counted', async (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only('on_exec'), mapSizes: { events: 4096 } });
    t.after(() => obj.close());
    obj.attach();
    let received = 0;
    const ring = obj.openRingBuffer('events', (records) => (received += records.length), { mode: 'periodic', periodMs: 3_600_000 });
    // One page holds 4096 / (8-byte header + 32-byte record) = 102 records: overflow it.
    execTrue(160);
    assert.equal(received, 0, 'a periodic ring with a 1 h period delivered early');
    assert.ok(ring.dropped > 0, `no drops counted (delivered ${ring.delivered})`);
    const consumed = ring.consume();
    // Up to 102 records fit; consume() may also pick up execs by other processes that
    // land while it frees space, so no upper bound here.
    assert.ok(consumed > 0, `consumed ${consumed}`);
    assert.equal(received, consumed);
    assert.equal(ring.delivered, consumed);
    assert.equal(consumed + ring.dropped >= 160, true, `${consumed} delivered + ${ring.dropped} dropped < 160 execs`);
    ring.close();

    const fast = obj.openRingBuffer('events', (records) => (received += records.length), { mode: 'periodic', periodMs: 10 });
    const start = received;
    execTrue(3);
    assert.ok(await waitFor(() => received - start >= 3, 10_000), 'the 10 ms timer did not deliver');
    fast.close();
  });
});

describe('maps', () => {
  it('hash map: update/lookup/delete/keys/entries, batch lookup and batch drain', (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only() });
    t.after(() => obj.close());
    const map = obj.map('scratch');
    for (let i = 0; i < 300; i++) map.update(u32(i), u64(i * 10));
    assert.equal(map.lookup(u32(7))?.readBigUInt64LE(0), 70n);
    assert.equal(map.lookup(u32(1000)), undefined);
    assert.equal(map.delete(u32(299)), true);
    assert.equal(map.delete(u32(299)), false);
    assert.equal(map.keys().length, 299);
    const entries = map.entries();
    assert.equal(entries.length, 299);
    assert.ok(entries.every(({ key, value }) => value.readBigUInt64LE(0) === BigInt(key.readUInt32LE(0) * 10)));
    const batch = map.lookupBatch({ batchSize: 16 });
    assert.equal(batch.length, 299);
    assert.ok(batch.every(({ key, value }) => value.readBigUInt64LE(0) === BigInt(key.readUInt32LE(0) * 10)));
    const drained = map.lookupBatch({ delete: true, batchSize: 64 });
    assert.equal(drained.length, 299);
    assert.equal(map.keys().length, 0);
  });

  it('per-CPU maps: one value per possible CPU, update with one or all values, batch concatenates', (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only() });
    t.after(() => obj.close());
    const map = obj.map('scratch_percpu');
    assert.equal(map.perCpu, true);
    map.update(u32(1), Buffer.from([5, 0, 0, 0]));
    const values = map.lookupPerCpu(u32(1));
    assert.ok(values !== undefined && values.length >= 1);
    const cpus = values.length;
    assert.ok(values.every((v) => v.length === 4 && v.readUInt32LE(0) === 5));
    const distinct = Array.from({ length: cpus }, (_, cpu) => u32(100 + cpu));
    map.update(u32(2), distinct);
    assert.deepEqual(map.lookupPerCpu(u32(2))?.map((v) => v.readUInt32LE(0)), distinct.map((v) => v.readUInt32LE(0)));
    const all = map.entriesPerCpu();
    assert.equal(all.length, 2);
    const batch = map.lookupBatch();
    assert.equal(batch.length, 2);
    assert.equal(batch[0]?.value.length, cpus * 8, 'each CPU slot is 8-byte aligned');
    assert.equal(map.lookupPerCpu(u32(9)), undefined);
  });

  it('array map: batch lookup works; batch delete fails with BPF_MAP_OP_FAILED (arrays cannot delete)', (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only() });
    t.after(() => obj.close());
    const map = obj.map('counters');
    map.update(u32(1), u64(42));
    const batch = map.lookupBatch();
    assert.deepEqual(batch.map(({ key, value }) => [key.readUInt32LE(0), value.readBigUInt64LE(0)]), [[0, 0n], [1, 42n]]);
    assert.throws(() => map.lookupBatch({ delete: true }), { code: 'BPF_MAP_OP_FAILED' });
  });
});

describe('uprobe and perf_event', () => {
  it('attachUprobe on libc getppid counts calls from this process', async (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only('on_uprobe') });
    t.after(() => obj.close());
    obj.attachUprobe('on_uprobe', { binary: 'libc.so.6', symbol: 'getppid', pid: process.pid });
    assert.equal(obj.programs().find((p) => p.name === 'on_uprobe')?.attached, true);
    let ppid = 0;
    for (let i = 0; i < 20; i++) ppid += process.ppid; // uv_os_getppid -> libc getppid()
    assert.ok(ppid > 0);
    const hits = (): bigint => obj.map('counters').lookup(u32(0))?.readBigUInt64LE(0) ?? 0n;
    assert.ok(await waitFor(() => hits() >= 20n, 10_000), `uprobe hits: ${hits()}`);
  });

  it('attachPerfEvent samples every online CPU and records stacks', async (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: only('on_cpu_clock') });
    t.after(() => obj.close());
    const cpus = obj.attachPerfEvent('on_cpu_clock', { frequency: 199 });
    assert.ok(cpus >= 1);
    const samples = (): bigint => obj.map('counters').lookup(u32(1))?.readBigUInt64LE(0) ?? 0n;
    // Keep a CPU busy in the kernel: cpu-clock does not sample an idle CPU, and a sample
    // taken in user mode has no kernel stack (the program records kernel stacks only).
    const zero = openSync('/dev/zero', 'r');
    const buf = Buffer.alloc(1 << 16);
    const spinUntil = Date.now() + 300;
    while (Date.now() < spinUntil) readSync(zero, buf);
    closeSync(zero);
    assert.ok(await waitFor(() => samples() >= 10n, 10_000), `samples: ${samples()}`);
    const stacks = obj.map('stacks');
    const ids = stacks.keys().map((k) => k.readUInt32LE(0));
    assert.ok(ids.length > 0, 'no stack recorded');
    const frames = ids.map((id) => stacks.stackTrace(id));
    assert.ok(frames.some((f) => f.length > 0 && f.every((ip) => ip > 0n)));
    assert.deepEqual(stacks.stackTrace(0xfffffff0), []);
    obj.detach('on_cpu_clock');
    assert.equal(obj.programs().find((p) => p.name === 'on_cpu_clock')?.attached, false);
  });

  it('attachPerfEvent with cgroupPath samples only while that cgroup v2 runs', async (t) => {
    const cgroup = `/sys/fs/cgroup/unified/autotracer-addon-test-${process.pid}`;
    mkdirSync(cgroup);
    const hog = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    t.after(async () => {
      hog.kill('SIGKILL');
      await new Promise((resolve) => (hog.exitCode !== null || hog.signalCode !== null ? resolve(null) : hog.once('exit', resolve)));
      // The hog is dead, so the directory is empty and can go.
      await waitFor(() => {
        try {
          rmdirSync(cgroup);
          return true;
        } catch {
          return false;
        }
      }, 2000);
    });
    const obj = BpfObject.openBuilt('selftest', { autoload: only('on_cpu_clock') });
    t.after(() => obj.close());
    const samples = (): bigint => obj.map('counters').lookup(u32(1))?.readBigUInt64LE(0) ?? 0n;
    assert.ok(obj.attachPerfEvent('on_cpu_clock', { frequency: 99, cgroupPath: cgroup }) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(samples(), 0n, 'samples from an empty cgroup');
    writeFileSync(`${cgroup}/cgroup.procs`, String(hog.pid));
    assert.ok(await waitFor(() => samples() >= 5n, 10_000), `samples: ${samples()}`);
  });
});
