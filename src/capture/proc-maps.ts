// /proc/<pid>/maps snapshots: which file (and which offset in it) backs each executable
// mapping of a process. Taken while the sampled processes still live (at the end of a
// capture); the symbolization job later needs nothing from /proc/<pid> except files.
import { readFileSync, statSync } from 'node:fs';

export interface FileIdentity {
  /**
   * A path the symbolizer can open: the host path when it is the same file (same device
   * and inode), else /proc/<pid>/root/<path> (a container's mount namespace) on the same
   * condition, else /proc/<pid>/map_files/<start>-<end>, the mapping itself (overlayfs:
   * maps shows the layer's device, which a stat through the overlay never does).
   */
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

export interface MapsLine {
  start: number;
  end: number;
  offset: number;
  /** st_dev of the backing file, glibc makedev() encoding (what stat() returns). */
  dev: bigint;
  inode: number;
  path: string;
}

/** glibc's makedev(): the st_dev encoding of (major, minor). */
export function makeDev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** Parses the text of /proc/<pid>/maps, keeping executable mappings. Pure. */
export function parseMaps(text: string): MapsLine[] {
  const out: MapsLine[] = [];
  for (const line of text.split('\n')) {
    // start-end perms offset major:minor inode [path]; the path may contain spaces.
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)\s*(.*)$/.exec(line);
    if (m === null || m[3]![2] !== 'x') continue;
    out.push({
      start: parseInt(m[1]!, 16),
      end: parseInt(m[2]!, 16),
      offset: parseInt(m[4]!, 16),
      dev: makeDev(parseInt(m[5]!, 16), parseInt(m[6]!, 16)),
      inode: Number(m[7]),
      path: m[8]!,
    });
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Matches the file of a mapping to an openable path that is the same file: same device
 * AND inode (an inode number alone repeats across filesystems, so a container's file
 * could be symbolized with an unrelated host binary's table).
 */
export function identifyFile(tgid: number, m: Pick<MapsLine, 'start' | 'end' | 'dev' | 'inode' | 'path'>): FileIdentity | undefined {
  // A deleted file (upgraded library) shows "(deleted)": its path names another file now.
  const deleted = m.path.endsWith(' (deleted)');
  const hex = (n: number): string => n.toString(16);
  const candidates = deleted ? [] : [m.path, `/proc/${tgid}/root${m.path}`];
  for (const openPath of candidates) {
    try {
      const st = statSync(openPath, { bigint: true });
      if (st.ino !== BigInt(m.inode) || st.dev !== m.dev) continue;
      return { openPath, path: m.path, cacheKey: `${st.dev}:${st.ino}:${st.mtimeNs}` };
    } catch {
      // not visible from here: try the next way in
    }
  }
  // The mapping itself: exact by construction (overlayfs layers, deleted files), but only
  // while the process lives. Its stat is the mapped file's, so the identity check still holds.
  const mapFile = `/proc/${tgid}/map_files/${hex(m.start)}-${hex(m.end)}`;
  try {
    const st = statSync(mapFile, { bigint: true });
    if (st.ino === BigInt(m.inode) && st.dev === m.dev) return { openPath: mapFile, path: m.path, cacheKey: `${st.dev}:${st.ino}:${st.mtimeNs}` };
  } catch {
    // exited, or map_files not readable (needs CAP_SYS_ADMIN)
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
      const key = `${m.dev}:${m.inode}:${m.path}`;
      if (!identities.has(key)) identities.set(key, identifyFile(tgid, m));
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
