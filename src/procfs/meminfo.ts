// /proc/meminfo, in bytes.
import { readFileSync } from 'node:fs';

/** Every "Key:   value [kB]" line; kB values are converted to bytes, unitless ones (HugePages_*) kept as counts. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]) * (m[3] !== undefined ? 1024 : 1));
  }
  return out;
}

/**
 * `<procRoot>/meminfo` parsed. Throws the file system's error when it cannot be read: unlike
 * a task's files it never vanishes on a sane host, so each caller decides what that means.
 */
export function readMeminfo(procRoot: string): Map<string, number> {
  return parseMeminfo(readFileSync(`${procRoot}/meminfo`, 'utf8'));
}
