// /proc/<pid>/status: the memory of one process (and its name and pid).
export interface ProcessMemory {
  pid: number;
  name: string;
  /** VmRSS, bytes. */
  rssBytes: number;
  /** RssAnon, bytes. */
  anonBytes: number;
}

/** undefined for a kernel thread (no VmRSS: it owns no user memory) or a file without Pid. */
export function parseStatus(text: string): ProcessMemory | undefined {
  let pid: number | undefined;
  let name = '';
  let rss: number | undefined;
  let anon: number | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === 'Name') name = value;
    else if (key === 'Pid') pid = Number(value);
    else if (key === 'VmRSS') rss = Number.parseInt(value, 10) * 1024;
    else if (key === 'RssAnon') anon = Number.parseInt(value, 10) * 1024;
  }
  if (pid === undefined || rss === undefined) return undefined;
  return { pid, name, rssBytes: rss, anonBytes: anon ?? 0 };
}
