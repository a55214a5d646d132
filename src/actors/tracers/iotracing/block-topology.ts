// Which whole disks carry the IO of a block device, from sysfs: a partition's IO is its
// disk's requests; a device-mapper or md device (bio-based: its IO reaches the queues of the
// devices it is built on) is its `slaves/`, recursively, each resolved to its disk. The BPF
// capture filters requests by disk (rq->q->disk), the one identity every block hook agrees on.
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { IOT_MAX_TARGET_DISKS, kernelDev } from '../../../native/bpf/iotracing.js';
import { IotracingError } from './errors.js';

export interface BlockDevice {
  name: string;
  major: number;
  minor: number;
}

export interface TargetDisks {
  /** The whole disks whose requests belong to the target (the target's own disk first). */
  disks: BlockDevice[];
  /** Kernel dev_t of each disk, for the BPF knob. */
  kernelDevs: number[];
}

const MAX_DEPTH = 8; // dm on md on partitions is 3 levels; a cycle would be a sysfs bug

function readDevNumbers(dir: string): { major: number; minor: number } | undefined {
  try {
    const m = /^(\d+):(\d+)/.exec(readFileSync(join(dir, 'dev'), 'utf8').trim());
    return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]) };
  } catch {
    return undefined;
  }
}

/** The sysfs directory of block device `name` (symlinks resolved), or undefined. */
function deviceDir(sysRoot: string, name: string): string | undefined {
  try {
    return realpathSync(join(sysRoot, 'class', 'block', name));
  } catch {
    return undefined;
  }
}

/** The block device name of major:minor (/sys/dev/block/M:m -> .../<name>). */
export function blockDeviceName(major: number, minor: number, sysRoot = '/sys'): string | undefined {
  try {
    return basename(realpathSync(join(sysRoot, 'dev', 'block', `${major}:${minor}`)));
  } catch {
    return undefined;
  }
}

function collect(sysRoot: string, name: string, depth: number, out: Map<string, BlockDevice>): void {
  if (depth > MAX_DEPTH) throw new IotracingError('IOTRACING_BAD_TOPOLOGY', `block device ${name}: slaves nest deeper than ${MAX_DEPTH} levels`);
  let dir = deviceDir(sysRoot, name);
  if (dir === undefined) throw new IotracingError('IOTRACING_UNKNOWN_DEVICE', `block device ${name} is not in ${sysRoot}/class/block`);
  // A partition's sysfs directory sits inside its disk's.
  if (existsSync(join(dir, 'partition'))) dir = dirname(dir);
  const diskName = basename(dir);
  const numbers = readDevNumbers(dir);
  if (numbers === undefined) throw new IotracingError('IOTRACING_UNKNOWN_DEVICE', `block device ${diskName}: no readable ${dir}/dev`);
  if (!out.has(diskName)) out.set(diskName, { name: diskName, ...numbers });
  let slaves: string[] = [];
  try {
    slaves = readdirSync(join(dir, 'slaves'));
  } catch {
    slaves = []; // not a stacked device
  }
  for (const slave of slaves.sort()) collect(sysRoot, slave, depth + 1, out);
}

/** The disks whose requests a capture of major:minor must record. */
export function resolveTargetDisks(device: { major: number; minor: number }, sysRoot = '/sys'): TargetDisks {
  const name = blockDeviceName(device.major, device.minor, sysRoot);
  if (name === undefined) throw new IotracingError('IOTRACING_UNKNOWN_DEVICE', `no block device ${device.major}:${device.minor} in ${sysRoot}/dev/block`);
  const found = new Map<string, BlockDevice>();
  collect(sysRoot, name, 0, found);
  const disks = [...found.values()];
  if (disks.length > IOT_MAX_TARGET_DISKS) {
    throw new IotracingError('IOTRACING_BAD_TOPOLOGY', `block device ${name} sits on ${disks.length} disks; the capture filters at most ${IOT_MAX_TARGET_DISKS}: use captureAllDevices`);
  }
  return { disks, kernelDevs: disks.map((d) => kernelDev(d.major, d.minor)) };
}

/** A block driver registered in /proc/devices ("Block devices:" section). */
function blockDriverRegistered(procRoot: string, driver: string): boolean {
  try {
    const text = readFileSync(join(procRoot, 'devices'), 'utf8');
    const block = text.slice(text.indexOf('Block devices:'));
    return block.split('\n').some((line) => line.trim().split(/\s+/)[1] === driver);
  } catch {
    return false;
  }
}

/**
 * Whether this kernel has device-mapper (for `doctor`: without it, a dm-* target cannot
 * exist, and the dm test uses a sysfs fixture). Registered when built in or loaded.
 */
export function deviceMapperAvailable(procRoot = '/proc'): boolean {
  return blockDriverRegistered(procRoot, 'device-mapper');
}

/** Whether this kernel has md (software RAID) registered. */
export function mdAvailable(procRoot = '/proc'): boolean {
  return blockDriverRegistered(procRoot, 'md');
}
