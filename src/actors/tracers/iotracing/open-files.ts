// The files a process has open, as the capture needs them: regular files (inode -> path, on
// which device) and block device nodes (which device they name), and a device's name. The
// descriptor listing itself, pid lists and /proc/<pid>/io are src/procfs's.
import { readFileSync, statSync } from 'node:fs';
import { listOpenFds } from '../../../procfs/index.js';

export interface OpenFile {
  path: string;
  /** userspace-encoded st_dev of the file system holding it */
  major: number;
  minor: number;
  ino: bigint;
  /** For a block device node: the device it names. */
  rdevMajor?: number;
  rdevMinor?: number;
}

/** glibc's major()/minor() of a userspace dev_t. */
export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}
export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

/** Regular files and block devices open by `pid` (its /proc/<pid>/fd links, each stat()ed once). */
export function openFiles(procRoot: string, pid: number): OpenFile[] {
  const out: OpenFile[] = [];
  const seen = new Set<string>();
  for (const { target: path, link } of listOpenFds(procRoot, pid)) {
    if (!path.startsWith('/') || seen.has(path)) continue;
    try {
      const st = statSync(link, { bigint: true });
      if (st.isFile()) {
        out.push({ path, major: devMajor(st.dev), minor: devMinor(st.dev), ino: st.ino });
        seen.add(path);
      } else if (st.isBlockDevice()) {
        out.push({ path, major: devMajor(st.dev), minor: devMinor(st.dev), ino: st.ino, rdevMajor: devMajor(st.rdev), rdevMinor: devMinor(st.rdev) });
        seen.add(path);
      }
    } catch {
      // fd closed meanwhile
    }
  }
  return out;
}

export function deviceName(major: number, minor: number): string {
  try {
    const uevent = readFileSync(`/sys/dev/block/${major}:${minor}/uevent`, 'utf8');
    return /^DEVNAME=(.*)$/m.exec(uevent)?.[1] ?? `${major}:${minor}`;
  } catch {
    return `${major}:${minor}`;
  }
}
