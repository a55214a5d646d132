// Loop devices with an ext4 file system for the IO tests, and v1 blkio throttles. Teardown
// order matters: throttles are removed BEFORE throttled processes are killed (a throttled
// process cannot die until its IO completes), file systems are thawed before unmounting.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

export interface LoopFs {
  dir: string;
  image: string;
  /** /dev/loopN */
  device: string;
  /** loopN */
  name: string;
  major: number;
  minor: number;
  mnt: string;
  /** The partitioned loop disk (createPartitionedLoopFs), whose partition 1 is mounted. */
  disk?: { device: string; name: string; major: number; minor: number };
}

export function createLoopFs(prefix: string, sizeMb = 256): LoopFs {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const image = join(dir, 'disk.img');
  run('truncate', ['-s', `${sizeMb}M`, image]);
  const device = run('losetup', ['-f', '--show', image]);
  const fs: LoopFs = { dir, image, device, name: device.replace('/dev/', ''), major: 7, minor: Number(device.replace('/dev/loop', '')), mnt: join(dir, 'mnt') };
  try {
    run('mkfs.ext4', ['-q', '-F', device]);
    mkdirSync(fs.mnt);
    run('mount', [device, fs.mnt]);
  } catch (err) {
    destroyLoopFs(fs);
    throw err;
  }
  return fs;
}

function devNumbers(name: string): { major: number; minor: number } {
  const [major, minor] = readFileSync(`/sys/class/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
  return { major: major!, minor: minor! };
}

/**
 * A loop disk with an MBR (sfdisk) holding one Linux partition (from sector 2048), attached
 * with `losetup -P` (+ `partx -a` where the kernel cannot parse MBRs), ext4 on partition 1, mounted. device/name/major/minor are the partition's.
 */
export function createPartitionedLoopFs(prefix: string, sizeMb = 256): LoopFs {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const image = join(dir, 'disk.img');
  let fs: LoopFs | undefined;
  try {
    run('truncate', ['-s', `${sizeMb}M`, image]);
    // The table goes into the image before attaching: -P then scans it at once.
    const r = spawnSync('sfdisk', ['-q', image], { input: 'label: dos\nstart=2048, type=83\n', encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sfdisk ${image} failed (${r.status}): ${r.stderr}`);
    const diskDevice = run('losetup', ['-f', '--show', '-P', image]);
    const diskName = diskDevice.replace('/dev/', '');
    fs = { dir, image, device: diskDevice, name: diskName, ...devNumbers(diskName), mnt: join(dir, 'mnt') };
    fs.disk = { device: diskDevice, name: diskName, major: fs.major, minor: fs.minor };
    const partName = `${diskName}p1`;
    // A kernel without the MBR parser (CONFIG_MSDOS_PARTITION unset, as here) scans nothing:
    // partx reads the table in user space and adds the partition with the BLKPG ioctl.
    if (!existsSync(`/sys/class/block/${partName}`)) run('partx', ['-a', diskDevice]);
    for (let i = 0; i < 50 && !existsSync(`/dev/${partName}`); i++) spawnSync('sleep', ['0.1']);
    Object.assign(fs, { device: `/dev/${partName}`, name: partName, ...devNumbers(partName) });
    run('mkfs.ext4', ['-q', '-F', fs.device]);
    mkdirSync(fs.mnt);
    run('mount', [fs.device, fs.mnt]);
  } catch (err) {
    if (fs !== undefined) destroyLoopFs(fs);
    else rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return fs;
}

/** Idempotent: thaw, unmount, detach, remove the directory. */
export function destroyLoopFs(fs: LoopFs | undefined): void {
  if (fs === undefined) return;
  spawnSync('fsfreeze', ['-u', fs.mnt]);
  for (let i = 0; i < 30 && spawnSync('mountpoint', ['-q', fs.mnt]).status === 0; i++) {
    if (spawnSync('umount', [fs.mnt]).status !== 0) spawnSync('sleep', ['0.1']);
  }
  // Still busy (a leftover writer): detach lazily so the loop device is freed once it exits.
  if (spawnSync('mountpoint', ['-q', fs.mnt]).status === 0) spawnSync('umount', ['-l', fs.mnt]);
  spawnSync('losetup', ['-d', fs.disk?.device ?? fs.device]);
  rmSync(fs.dir, { recursive: true, force: true });
}

/** Sets (or with bps 0 removes) a v1 blkio write throttle for major:minor in `cgroupDir`. */
export function setWriteThrottle(cgroupDir: string, major: number, minor: number, bps: number): void {
  if (!existsSync(cgroupDir)) return;
  writeFileSync(join(cgroupDir, 'blkio.throttle.write_bps_device'), `${major}:${minor} ${bps}\n`);
}
