// Loop devices with an ext4 file system for the IO tests, and v1 blkio throttles. Teardown
// order matters: throttles are removed BEFORE throttled processes are killed (a throttled
// process cannot die until its IO completes), file systems are thawed before unmounting.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** Idempotent: thaw, unmount, detach, remove the directory. */
export function destroyLoopFs(fs: LoopFs | undefined): void {
  if (fs === undefined) return;
  spawnSync('fsfreeze', ['-u', fs.mnt]);
  for (let i = 0; i < 30 && spawnSync('mountpoint', ['-q', fs.mnt]).status === 0; i++) {
    if (spawnSync('umount', [fs.mnt]).status !== 0) spawnSync('sleep', ['0.1']);
  }
  // Still busy (a leftover writer): detach lazily so the loop device is freed once it exits.
  if (spawnSync('mountpoint', ['-q', fs.mnt]).status === 0) spawnSync('umount', ['-l', fs.mnt]);
  spawnSync('losetup', ['-d', fs.device]);
  rmSync(fs.dir, { recursive: true, force: true });
}

/** Sets (or with bps 0 removes) a v1 blkio write throttle for major:minor in `cgroupDir`. */
export function setWriteThrottle(cgroupDir: string, major: number, minor: number, bps: number): void {
  if (!existsSync(cgroupDir)) return;
  writeFileSync(join(cgroupDir, 'blkio.throttle.write_bps_device'), `${major}:${minor} ${bps}\n`);
}
