// /proc readers only the capture needs: per-process IO counters (for file-system-level
// bytes) and the files a process has open (inode -> path, and files on a device). Pid lists
// and comm are src/procfs's.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface ProcIo {
  /** Bytes passed to read()/pread()/... syscalls (file-system level, includes pipes and sockets). */
  rchar: number;
  wchar: number;
  /** Bytes this process caused to be fetched from / sent to storage. */
  readBytes: number;
  writeBytes: number;
}

export function readProcIo(procRoot: string, pid: number): ProcIo | undefined {
  try {
    const text = readFileSync(`${procRoot}/${pid}/io`, 'utf8');
    const get = (k: string): number => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rchar: get('rchar'), wchar: get('wchar'), readBytes: get('read_bytes'), writeBytes: get('write_bytes') };
  } catch {
    return undefined; // exited, or a kernel thread without io
  }
}

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

/** Regular files and block devices open by `pid` (through /proc/<pid>/fd: readlink + stat). */
export function openFiles(procRoot: string, pid: number): OpenFile[] {
  let fds: string[];
  try {
    fds = readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return [];
  }
  const out: OpenFile[] = [];
  const seen = new Set<string>();
  for (const fd of fds) {
    try {
      const link = `${procRoot}/${pid}/fd/${fd}`;
      const path = readlinkSync(link);
      if (!path.startsWith('/') || seen.has(path)) continue;
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
