// /proc/<pid>/io: what a process read and wrote, at the syscall level and at the storage level.
import { readFileSync } from 'node:fs';

export interface ProcIo {
  /** Bytes passed to read()/pread()/... syscalls (file-system level, includes pipes and sockets). */
  rchar: number;
  wchar: number;
  /** Bytes this process caused to be fetched from / sent to storage. */
  readBytes: number;
  writeBytes: number;
}

/** undefined when the process has exited (or is a kernel thread without io). */
export function readProcIo(procRoot: string, pid: number): ProcIo | undefined {
  try {
    const text = readFileSync(`${procRoot}/${pid}/io`, 'utf8');
    const get = (k: string): number => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rchar: get('rchar'), wchar: get('wchar'), readBytes: get('read_bytes'), writeBytes: get('write_bytes') };
  } catch {
    return undefined;
  }
}
