// The iotracing detector against replayed /proc/diskstats fixtures (test/fixtures/iotracing/
// diskstats.0..3, 5 s apart): util / bps / await rules need two consecutive intervals, md
// devices are watched (their capture records the disks below them), excluded devices are
// skipped, NVMe util alone does not fire.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDiskstats, type DiskSample } from '../../src/actors/tracers/iotracing/diskstats.js';
import { breach, computeIoStatus, deviceSelected, IoDetector, type Thresholds } from '../../src/actors/tracers/iotracing/detector.js';
import { iotracingSettingsSchema } from '../../src/actors/tracers/iotracing/config.js';

const fixtureDir = fileURLToPath(new URL('../../../test/fixtures/iotracing/', import.meta.url));
const snapshot = (i: number): DiskSample[] => parseDiskstats(readFileSync(`${fixtureDir}diskstats.${i}`, 'utf8'));
const defaults: Thresholds = iotracingSettingsSchema.parse({}).thresholds;

describe('iotracing detector', () => {
  it('has the reference defaults', () => {
    const s = iotracingSettingsSchema.parse({});
    assert.deepEqual(s.thresholds, { utilPercent: 90, readMBps: 2000, writeMBps: 1500, awaitMs: 100 });
    assert.equal(s.intervalSeconds, 5);
    assert.equal(s.durationSeconds, 10);
    assert.equal('cooldownSeconds' in s, false, 'the cooldown is tracers.iotracing.cooldownSeconds (600 s by default)');
  });

  it('parses diskstats and computes HUATUO metrics (bytes/s, ms, %)', () => {
    const [a, b] = [snapshot(0), snapshot(1)];
    const sda = computeIoStatus(a.find((d) => d.name === 'sda')!, b.find((d) => d.name === 'sda')!, 5);
    assert.deepEqual(sda, { read_bps: 8192, write_bps: 8192, read_iops: 2, write_iops: 2, read_await: 5, write_await: 5, io_util: 96, queue_size: 1.8 });
    const nvme = computeIoStatus(a.find((d) => d.name === 'nvme0n1')!, b.find((d) => d.name === 'nvme0n1')!, 5);
    assert.equal(nvme.write_bps, 2000 * 1024 * 1024);
  });

  it('a counter going backwards (device re-registered) gives zeros, not a spike', () => {
    const [a, b] = [snapshot(0), snapshot(2)];
    const status = computeIoStatus(b.find((d) => d.name === 'sda')!, a.find((d) => d.name === 'sda')!, 5);
    assert.equal(status.io_util, 0);
    assert.equal(status.write_bps, 0);
  });

  it('fires only after two consecutive intervals over a threshold, per device, with the right reason', () => {
    const detector = new IoDetector(defaults, { include: [], exclude: [] });
    const found: string[][] = [];
    for (let i = 0; i < 4; i++) found.push(detector.observe(snapshot(i), i * 5000).anomalies.map((a) => `${a.device}:${a.type}`));
    assert.deepEqual(found[0], [], 'baseline');
    assert.deepEqual(found[1], [], 'one interval is not enough');
    assert.deepEqual(found[2]?.sort(), ['md0:ioutil', 'nvme0n1:write_bps', 'sda:ioutil', 'vdb:write_await'], 'md is watched: its capture records the disks below it');
    assert.ok(!found.flat().some((f) => f.startsWith('loop0')), 'loop0 was over for one interval only');
  });

  it('summary names value, threshold, device and numbers', () => {
    const detector = new IoDetector(defaults, { include: [], exclude: [] });
    for (let i = 0; i < 2; i++) detector.observe(snapshot(i), i * 5000);
    const sda = detector.observe(snapshot(2), 10_000).anomalies.find((a) => a.device === 'sda');
    assert.equal(sda?.summary, 'ioutil=96% (threshold=90%) on sda(8:0), aqu-sz=1.8, r_await=5ms w_await=5ms');
    assert.equal(sda?.major, 8);
  });

  it('reset() makes a device need two fresh intervals again', () => {
    const detector = new IoDetector(defaults, { include: ['^sda$'], exclude: [] });
    for (let i = 0; i < 3; i++) detector.observe(snapshot(i), i * 5000);
    detector.reset('sda');
    assert.deepEqual(detector.observe(snapshot(3), 15_000).anomalies, []);
  });

  it('device include / exclude regexes; md* watched unless excluded', () => {
    assert.equal(deviceSelected('md127', { include: [], exclude: [] }), true);
    assert.equal(deviceSelected('md127', { include: [], exclude: ['^md'] }), false, "HUATUO's md exclusion, by config");
    assert.equal(deviceSelected('sda', { include: ['^nvme'], exclude: [] }), false);
    assert.equal(deviceSelected('nvme0n1', { include: ['^nvme'], exclude: [] }), true);
    assert.equal(deviceSelected('loop3', { include: [], exclude: ['^loop'] }), false);
    const detector = new IoDetector(defaults, { include: [], exclude: ['^sda$'] });
    for (let i = 0; i < 3; i++) assert.ok(!detector.observe(snapshot(i), i * 5000).anomalies.some((a) => a.device === 'sda'));
  });

  it('NVMe: util alone does not fire, bps does', () => {
    const busy = { read_bps: 0, write_bps: 0, read_iops: 0, write_iops: 0, read_await: 0, write_await: 0, io_util: 100, queue_size: 1 };
    assert.equal(breach(busy, busy, 'nvme0n1', defaults), undefined);
    assert.equal(breach(busy, busy, 'sdb', defaults), 'ioutil');
    const fast = { ...busy, read_bps: 2100 * 1024 * 1024 };
    assert.equal(breach(fast, fast, 'nvme0n1', defaults), 'read_bps');
  });

  it('rejects bad settings (non-positive thresholds, bad regex, unknown keys)', () => {
    assert.equal(iotracingSettingsSchema.safeParse({ thresholds: { utilPercent: 0 } }).success, false);
    assert.equal(iotracingSettingsSchema.safeParse({ devices: { include: ['('] } }).success, false);
    assert.equal(iotracingSettingsSchema.safeParse({ interval: 5 }).success, false);
  });
});
