// The host memory snapshot of an oom event: the 18 /proc/meminfo keys HUATUO's oom event
// reports, in bytes.
import { readMeminfo } from '../../../procfs/index.js';

export const MEMINFO_KEYS = [
  'MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapCached',
  'Active(anon)', 'Inactive(anon)', 'Active(file)', 'Inactive(file)', 'Unevictable',
  'Slab', 'SReclaimable', 'SUnreclaim', 'SwapTotal', 'SwapFree', 'CommitLimit', 'Committed_AS',
] as const;

/** The MEMINFO_KEYS present in a parsed meminfo. */
export function oomMeminfo(all: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of MEMINFO_KEYS) {
    const v = all.get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** {} when meminfo cannot be read: the event is still worth saving without it. */
export function readOomMeminfo(procRoot: string): Record<string, number> {
  try {
    return oomMeminfo(readMeminfo(procRoot));
  } catch {
    return {};
  }
}
