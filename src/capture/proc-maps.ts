// /proc/<pid>/maps snapshots: which file (and which offset in it) backs each executable
// mapping of a process. Taken while the sampled processes still live (at the end of a
// capture); the symbolization job later needs nothing from /proc/<pid> except files.
import { readFileSync, statSync } from 'node:fs';

export interface FileIdentity {
  /** A path the symbolizer can open: the host path when it is the same file (same inode), else /proc/<pid>/root/<path> (a container's mount namespace). */
  openPath: string;
  /** The path as the process sees it (for labels). */
  path: string;
  /** `${dev}:${ino}:${mtimeMs}` of the file: the ELF cache key. */
  cacheKey: string;
}

export interface ExecMapping {
  start: number;
  end: number;
  /** Offset in the file of `start`. */
  offset: number;
  /** undefined for anonymous/special mappings ([vdso], JIT code). */
  file?: FileIdentity;
  /** [vdso], [anon], or the file's path */
  name: string;
}

export interface ProcessMaps {
  tgid: number;
  /** Executable mappings, sorted by start. */
  mappings: ExecMapping[];
}

/** Parses the text of /proc/<pid>/maps, keeping executable mappings. Pure. */
export function parseMaps(text: string): Array<{ start: number; end: number; offset: number; inode: number; path: string }> {
  const out: Array<{ start: number; end: number; offset: number; inode: number; path: string }> = [];
  for (const line of text.split('\n')) {
    // start-end perms offset dev inode [path]; the path may contain spaces.
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ (\d+)\s*(.*)$/.exec(line);
    if (m === null || m[3]![2] !== 'x') continue;
    out.push({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), offset: parseInt(m[4]!, 16), inode: Number(m[5]), path: m[6]! });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Matches the file of a mapping to an openable path with the same inode. */
function identify(tgid: number, path: string, inode: number): FileIdentity | undefined {
  // A deleted file (upgraded library) shows "(deleted)": only map_files could reach it.
  if (path.endsWith(' (deleted)')) return undefined;
  for (const openPath of [path, `/proc/${tgid}/root${path}`]) {
    try {
      const st = statSync(openPath, { bigint: true });
      if (Number(st.ino) !== inode) continue;
      return { openPath, path, cacheKey: `${st.dev}:${st.ino}:${st.mtimeNs}` };
    } catch {
      // not visible from here: try the process's own root
    }
  }
  return undefined;
}

/** Snapshot of one process's executable mappings; undefined when it has exited. */
export function snapshotMaps(tgid: number): ProcessMaps | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${tgid}/maps`, 'utf8');
  } catch {
    return undefined;
  }
  const identities = new Map<string, FileIdentity | undefined>();
  const mappings: ExecMapping[] = [];
  for (const m of parseMaps(text)) {
    const mapping: ExecMapping = { start: m.start, end: m.end, offset: m.offset, name: m.path === '' ? '[anon]' : m.path };
    if (m.inode !== 0 && m.path.startsWith('/')) {
      const key = `${m.inode}:${m.path}`;
      if (!identities.has(key)) identities.set(key, identify(tgid, m.path, m.inode));
      const file = identities.get(key);
      if (file !== undefined) mapping.file = file;
    }
    mappings.push(mapping);
  }
  return { tgid, mappings };
}

/** The executable mapping containing `addr`, by binary search. */
export function findMapping(maps: ProcessMaps, addr: number): ExecMapping | undefined {
  const list = maps.mappings;
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const m = list[mid]!;
    if (addr < m.start) high = mid - 1;
    else if (addr >= m.end) low = mid + 1;
    else return m;
  }
  return undefined;
}
