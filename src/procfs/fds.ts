// The open file descriptors of a process: /proc/<pid>/fd, each with what its link names
// (a path, `anon_inode:bpf-prog`, `socket:[…]`). A descriptor closed while it is listed is
// left out; a process that has exited has none.
import { readdirSync, readlinkSync } from 'node:fs';

export interface OpenFd {
  fd: number;
  /** The link's text: an absolute path for a file, `anon_inode:<kind>` or `<type>:[<inode>]` otherwise. */
  target: string;
  /** The /proc entry itself (stat() it to reach the open file, read fdinfo beside it). */
  link: string;
}

/** Open descriptors of `pid`, in directory order; [] when it has exited or cannot be read. */
export function listOpenFds(procRoot: string, pid: number): OpenFd[] {
  let names: string[];
  try {
    names = readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return [];
  }
  const out: OpenFd[] = [];
  for (const name of names) {
    const link = `${procRoot}/${pid}/fd/${name}`;
    try {
      out.push({ fd: Number(name), target: readlinkSync(link), link });
    } catch {
      // closed between the listing and the readlink
    }
  }
  return out;
}
