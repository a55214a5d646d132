// The anonymous-memory sample memburst takes from /proc/meminfo, in bytes.
import { readMeminfo } from '../../../procfs/index.js';
import { MemburstError } from './errors.js';

export interface MemSample {
  /** Active(anon) + Inactive(anon). */
  anonBytes: number;
  memTotalBytes: number;
}

export function readMemSample(procRoot: string): MemSample {
  let kv: Map<string, number>;
  try {
    kv = readMeminfo(procRoot);
  } catch (err) {
    throw new MemburstError('MEMBURST_MEMINFO_UNREADABLE', `cannot read ${procRoot}/meminfo: ${String(err)}`, { cause: err });
  }
  const active = kv.get('Active(anon)');
  const inactive = kv.get('Inactive(anon)');
  const total = kv.get('MemTotal');
  if (active === undefined || inactive === undefined || total === undefined) {
    throw new MemburstError('MEMBURST_MEMINFO_UNREADABLE', `${procRoot}/meminfo lacks Active(anon), Inactive(anon) or MemTotal`);
  }
  return { anonBytes: active + inactive, memTotalBytes: total };
}
