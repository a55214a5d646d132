// /proc/meminfo snapshot in bytes (the 18 keys HUATUO's oom event reports).
import { readFileSync } from 'node:fs';

export const MEMINFO_KEYS = [
  'MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapCached',
  'Active(anon)', 'Inactive(anon)', 'Active(file)', 'Inactive(file)', 'Unevictable',
  'Slab', 'SReclaimable', 'SUnreclaim', 'SwapTotal', 'SwapFree', 'CommitLimit', 'Committed_AS',
] as const;

export function parseMeminfo(text: string): Record<string, number> {
  const all = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (m) all.set(m[1]!, Number(m[2]) * (m[3] !== undefined ? 1024 : 1));
  }
  const out: Record<string, number> = {};
  for (const k of MEMINFO_KEYS) {
    const v = all.get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function readMeminfo(procRoot: string): Record<string, number> {
  try {
    return parseMeminfo(readFileSync(`${procRoot}/meminfo`, 'utf8'));
  } catch {
    return {};
  }
}
