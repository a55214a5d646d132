// Filling a real filesystem, for full-disk faults (test/storage, bench/soak/disk-full.ts).
import fs from 'node:fs';
import path from 'node:path';

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
