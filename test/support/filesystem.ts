// A real small filesystem and filling it, for full-disk faults (test/storage, bench/soak/disk-full.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Mounts a tmpfs of `size` (e.g. '4m') under a temp dir and returns the mount point.
 * `teardown` receives the step that unmounts it (lazily if busy) and removes the dir; register
 * it so it runs after whatever lives on the mount (a store, an actor) is closed.
 */
export function mountTmpfs(size: string, teardown: (step: () => void) => void): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'autotracer-tmpfs-'));
  const mnt = path.join(base, 'mnt');
  fs.mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt]);
  teardown(() => {
    try {
      execFileSync('umount', [mnt]);
    } catch {
      execFileSync('umount', ['-l', mnt]);
    }
    fs.rmSync(base, { recursive: true, force: true });
  });
  return mnt;
}

/** Writes a filler file until the filesystem says ENOSPC; returns its path (remove it to free the space). */
export function fillFilesystem(dir: string, name = 'filler'): string {
  const filler = path.join(dir, name);
  // 64 KiB writes, then 4 KiB ones for the last blocks, until not one block is left.
  for (const size of [64 * 1024, 4096]) {
    const fd = fs.openSync(filler, 'a');
    try {
      const chunk = Buffer.alloc(size, 1);
      for (;;) fs.writeSync(fd, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      fs.closeSync(fd);
    }
  }
  return filler;
}
