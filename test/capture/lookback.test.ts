// Issue 14 item 6: the look-back window. The pure window (buckets, retention, the stack
// bound), then the real sampler: a workload that ran and stopped *before* the request is
// in the slice, symbolized like a capture.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeCapturePool } from '../../src/capture/index.js';
import { LookbackWindow } from '../../src/capture/lookback-window.js';
import { LookbackSampler, lookbackCountsEntries } from '../../src/capture/lookback-sampler.js';
import { lookbackJob, profileFromLookback } from '../../src/capture/lookback-profile.js';
import { lookbackCountKeyLayout, lookbackSampleLayout, type LookbackRecord, type RawLookbackRecord } from '../../src/native/bpf/lookback.js';
import { assertLayoutMatchesBtf } from '../support/btf-layout.js';
import { onlineCpus, spawnWorkload, type Workload } from '../support/host.js';
import { buildSpinBinary, SPIN_CALLER, SPIN_FUNCTION, type SpinBinary } from './spin-binary.js';

const rec = (tgid: number, comm: string, kernel: bigint[], user: number[] = []): LookbackRecord => ({
  timeNs: 0n, cgroupId: 1n, pid: tgid, tgid, comm, kernel, user, kernelLost: false, userLost: false,
});

describe('look-back window (pure)', () => {
  it('aggregates per bucket, slices by time and forgets what left the retention', () => {
    const w = new LookbackWindow({ retentionMs: 3000, bucketMs: 1000 });
    w.add(rec(1, 'a', [0xffffffff81000000n]), 10_100);
    w.add(rec(1, 'a', [0xffffffff81000000n]), 10_200);
    w.add(rec(2, 'b', [], [0x401000]), 11_500);
    w.add(rec(1, 'a', [0xffffffff81000000n]), 12_900);
    const all = w.slice(10_000, 13_000, 19);
    assert.equal(all.samples, 4);
    assert.deepEqual(all.stacks.map((s) => [s.comm, s.count, s.kernel, s.user]).sort(), [['a', 3, ['ffffffff81000000'], []], ['b', 1, [], [0x401000]]]);
    assert.equal(w.slice(11_000, 12_000, 19).samples, 1, 'only the bucket of 11.5 s');
    assert.equal(w.stats().stacks, 2);
    w.prune(15_100); // keeps buckets ending after 12.1 s: 12 s only
    assert.equal(w.stats().buckets, 1);
    assert.equal(w.stats().stacks, 1, 'b was only in a dropped bucket: forgotten');
    assert.equal(w.slice(0, 20_000, 19).coveredFromMs, 12_000, 'history before 12 s is gone');
  });

  it('bounds the distinct stacks and counts what it could not keep', () => {
    const w = new LookbackWindow({ maxStacks: 2 });
    for (let i = 0; i < 5; i++) w.add(rec(100 + i, 'p', [BigInt(i)]), 1000);
    w.add(rec(100, 'p', [0n]), 1000); // an interned stack still counts
    const s = w.slice(0, 2000, 19);
    assert.equal(s.samples, 6);
    assert.equal(s.overflow, 3);
    assert.equal(s.stacks.reduce((n, x) => n + x.count, 0), 3);
    assert.equal(w.stats().overflowTotal, 3);
  });

  it('builds one symbolization job entry per distinct stack', () => {
    const w = new LookbackWindow();
    w.add(rec(7, 'x', [0xffffffff81000010n], [0x1000]), 1000);
    w.add(rec(8, 'y', [0xffffffff81000010n], [0x1000]), 1000);
    const job = lookbackJob(w.slice(0, 2000, 19), () => undefined);
    assert.equal(job.kernelStacks.length, 1);
    assert.equal(job.userStacks.length, 1);
    assert.deepEqual(job.kernelStacks[0]![1], [0xffffffff81000010n]);
    assert.equal(job.samples.length, 2);
  });

  it('sizes the counts map from CPUs x frequency x drain period (power of two, at least 1024)', () => {
    assert.equal(lookbackCountsEntries(2, 19, 5000), 1024);
    assert.ok(lookbackCountsEntries(64, 99, 5000) >= 64 * 99 * 5 * 2);
  });

  it('with an external store, counts by stack id and reports stacks the store did not keep as overflow', () => {
    const kept = new Map<number, RawLookbackRecord>([[7, { cgroupId: 42n, tgid: 9, comm: 'k', kernel: Buffer.alloc(8, 1), user: Buffer.alloc(0), kernelLost: false, userLost: false }]]);
    const forgotten: number[] = [];
    const w = new LookbackWindow({ retentionMs: 2000, store: { read: (ids) => new Map([...kept].filter(([id]) => ids.has(id))), forget: (id) => forgotten.push(id), approxBytes: (n) => n } });
    w.addCount(7, 10_000, 3);
    w.addCount(8, 10_000, 2); // a stack the kernel map could not keep
    w.addCount(7, 11_000, 1);
    const s = w.slice(0, 20_000, 19);
    assert.equal(s.samples, 6);
    assert.equal(s.overflow, 2);
    assert.deepEqual(s.stacks.map((x) => [x.cgroupId, x.comm, x.count]), [['42', 'k', 4]]);
    assert.equal(w.slice(0, 20_000, 19, '42').samples, 4, 'a container slice counts its own samples only');
    w.prune(13_100); // the 10 s bucket left the window: 8 is used by no bucket, 7 still by the 11 s one
    assert.deepEqual(forgotten, [8]);
    w.prune(14_100);
    assert.deepEqual(forgotten, [8, 7]);
  });
});

describe('look-back sampler (real BPF)', () => {
  let sampler: LookbackSampler | undefined;
  let spin: SpinBinary | undefined;
  const workloads: Workload[] = [];
  after(async () => {
    sampler?.close();
    for (const w of workloads.splice(0)) await w.kill();
    spin?.remove();
    await closeCapturePool();
  });

  it('struct lookback_sample matches the object', () => assertLayoutMatchesBtf('lookback', lookbackSampleLayout));
  it('struct lookback_count_key matches the object', () => assertLayoutMatchesBtf('lookback', lookbackCountKeyLayout));

  it('holds the stacks of a workload that ran before the request, symbolized', async () => {
    spin = buildSpinBinary();
    sampler = LookbackSampler.start({ frequency: 49, retentionSeconds: 30 });
    // One spinner per CPU so cpu-clock fires on each; they spin for 3 s, then only
    // sleep: the request comes after the burst, as a threshold trigger would.
    const t0 = Date.now();
    for (const cpu of onlineCpus()) workloads.push(spawnWorkload('taskset', ['-c', String(cpu), spin.path]));
    await sleep(3000);
    const tBurst = Date.now();
    for (const w of workloads) process.kill(w.pid, 'SIGSTOP');
    await sleep(1500);
    const slice = sampler.slice(tBurst - 10_000, Date.now());
    const stats = sampler.stats(); // right after the slice's drain
    assert.ok(slice.coveredFromMs <= t0, `history from ${slice.coveredFromMs}, burst started at ${t0}`);
    const spinSamples = slice.stacks.filter((s) => s.comm === 'at-spin').reduce((n, s) => n + s.count, 0);
    // Generous: on a shared host the spinners get a fraction of the CPUs (≈ 49 Hz × 3 s × CPUs when idle).
    assert.ok(spinSamples >= 10, `${spinSamples} samples of at-spin in the slice`);
    const profile = await profileFromLookback(slice);
    const spinStacks = profile.folded.filter((f) => f.stack[0] === 'at-spin').map((f) => f.stack.join(';'));
    assert.ok(spinStacks.some((s) => s.includes(`${SPIN_CALLER};${SPIN_FUNCTION}`)), `at-spin stacks: ${spinStacks.slice(0, 5).join(' | ')}`);
    assert.equal(profile.flamedata[0]?.value, profile.samples - profile.overflow);
    assert.equal(stats.dropped, 0);
    assert.ok(stats.received > 0 && stats.stacks > 0);
    // Every sample the program took is in the window (the slice drained the counts; a few
    // more may have been taken since), and the spinners' repeated stacks were counted in the
    // kernel: user space read a row per (stack, second), far fewer than one per sample.
    assert.ok(stats.taken - stats.received >= 0 && stats.taken - stats.received <= 49 * onlineCpus().length, `taken ${stats.taken}, received ${stats.received}`);
    assert.ok(stats.rowsRead < stats.received, `rows read ${stats.rowsRead} for ${stats.received} samples`);
    const spinRows = slice.stacks.filter((s) => s.comm === 'at-spin').length;
    assert.ok(spinRows < spinSamples, `${spinRows} distinct at-spin stacks for ${spinSamples} samples`);
    for (const w of workloads) process.kill(w.pid, 'SIGCONT');
  });

  it('bounds the distinct stacks in the kernel and counts the samples of the ones it could not keep', async () => {
    const small = LookbackSampler.start({ frequency: 49, retentionSeconds: 30, maxStacks: 2 });
    const dd = spawnWorkload('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1']);
    workloads.push(dd);
    try {
      await sleep(2000);
      const slice = small.slice(Date.now() - 10_000, Date.now());
      const kept = slice.stacks.reduce((n, s) => n + s.count, 0);
      assert.ok(slice.stacks.length <= 2, `${slice.stacks.length} stacks kept`);
      assert.ok(slice.overflow > 0, 'idle CPUs, dd and the rest of the host make more than 2 distinct stacks');
      assert.equal(kept + slice.overflow, slice.samples);
      assert.ok(small.stats().overflowTotal > 0);
    } finally {
      small.close();
      await dd.kill();
    }
  });
});
