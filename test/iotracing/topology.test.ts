// Which disks a capture target stands for (issue #13 item 1): a partition is its disk; a
// device-mapper or md device is its slaves, recursively, each resolved to its disk. This
// kernel has neither dm nor md (CONFIG_MD unset), so they are checked against a sysfs-shaped
// directory built here (the real layout: class/block and dev/block symlinks into
// devices/.../block/<disk>[/<partition>], `partition` files, `slaves/` entries); the real
// partition case runs on a partitioned loop disk in partition.test.ts.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockDeviceName, deviceMapperAvailable, mdAvailable, resolveTargetDisks } from '../../src/actors/tracers/iotracing/block-topology.js';
import { kernelDev } from '../../src/native/bpf/iotracing.js';
import { SysfsFixture } from './sysfs-fixture.js';

const sysfs = new SysfsFixture();
const root = sysfs.root;
after(() => sysfs.remove());
const device = sysfs.device.bind(sysfs);

device('loop7', '7:7');
device('loop7/loop7p1', '259:3', { partition: true });
device('loop7/loop7p2', '259:4', { partition: true });
device('loop8', '7:8');
device('dm-0', '253:0', { slaves: ['loop7p1', 'loop8'] }); // e.g. a linear LV over a partition and a disk
device('dm-1', '253:1', { slaves: ['loop7p2'] });
device('md0', '9:0', { slaves: ['dm-0', 'dm-1'] }); // md over dm: two levels of stacking

const names = (major: number, minor: number): string[] => resolveTargetDisks({ major, minor }, root).disks.map((d) => d.name);

describe('capture target -> disks (sysfs fixture)', () => {
  it('a whole disk is itself', () => {
    assert.deepEqual(names(7, 8), ['loop8']);
    assert.deepEqual(resolveTargetDisks({ major: 7, minor: 8 }, root).kernelDevs, [kernelDev(7, 8)]);
  });
  it('a partition is its disk', () => {
    assert.equal(blockDeviceName(259, 3, root), 'loop7p1');
    assert.deepEqual(names(259, 3), ['loop7']);
  });
  it('a dm device is itself plus the disks of its slaves (partitions resolved)', () => {
    assert.deepEqual(names(253, 0), ['dm-0', 'loop7', 'loop8']);
    assert.deepEqual(resolveTargetDisks({ major: 253, minor: 0 }, root).kernelDevs, [kernelDev(253, 0), kernelDev(7, 7), kernelDev(7, 8)]);
  });
  it('md over dm resolves recursively, each disk once', () => {
    assert.deepEqual(names(9, 0), ['md0', 'dm-0', 'loop7', 'loop8', 'dm-1']);
  });
  it('an unknown device is a coded error', () => {
    assert.throws(() => names(1, 99), { code: 'IOTRACING_UNKNOWN_DEVICE' });
  });
  it('a slave cycle (a sysfs bug) is refused, not followed for ever', () => {
    device('dm-7', '253:7', { slaves: ['dm-8'] });
    device('dm-8', '253:8', { slaves: [] });
    sysfs.addSlave('dm-8', 'dm-7');
    assert.throws(() => names(253, 7), { code: 'IOTRACING_BAD_TOPOLOGY' });
  });
});

describe('device-mapper / md availability (for doctor)', () => {
  it('reads the block drivers of /proc/devices', () => {
    const proc = join(root, 'proc');
    mkdirSync(proc, { recursive: true });
    writeFileSync(join(proc, 'devices'), 'Character devices:\n  1 mem\n 10 misc\n\nBlock devices:\n  7 loop\n  9 md\n253 device-mapper\n259 blkext\n');
    assert.equal(deviceMapperAvailable(proc), true);
    assert.equal(mdAvailable(proc), true);
    writeFileSync(join(proc, 'devices'), 'Character devices:\n 10 misc\n251 device-mapper\n\nBlock devices:\n  7 loop\n259 blkext\n');
    assert.equal(deviceMapperAvailable(proc), false, 'a character device of that name is not the block driver');
    assert.equal(mdAvailable(proc), false);
    assert.equal(deviceMapperAvailable(join(root, 'no-proc')), false);
  });
  it('on this kernel: matches the registered block drivers', () => {
    const block = readFileSync('/proc/devices', 'utf8').split('Block devices:')[1] ?? '';
    assert.equal(deviceMapperAvailable(), /^\s*\d+ device-mapper$/m.test(block));
    assert.equal(mdAvailable(), /^\s*\d+ md$/m.test(block));
    if (!existsSync('/sys/module/dm_mod')) console.log('device-mapper: not in this kernel (dm targets are tested with the sysfs fixture only)');
  });
});
