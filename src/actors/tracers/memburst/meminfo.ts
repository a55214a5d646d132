// /proc/meminfo readings, in bytes.
import { readFileSync } from 'node:fs';
import { MemburstError } from './errors.js';

export interface MemSample {
  /** Active(anon) + Inactive(anon). */
  anonBytes: number;
  memTotalBytes: number;
}

export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]) * (line.trimEnd().endsWith('kB') ? 1024 : 1));
  }
  return out;
}

export function readMemSample(procRoot: string): MemSample {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/meminfo`, 'utf8');
  } catch (err) {
    throw new MemburstError('MEMBURST_MEMINFO_UNREADABLE', `cannot read ${procRoot}/meminfo: ${String(err)}`, { cause: err });
  }
  const kv = parseMeminfo(text);
  const active = kv.get('Active(anon)');
  const inactive = kv.get('Inactive(anon)');
  const total = kv.get('MemTotal');
  if (active === undefined || inactive === undefined || total === undefined) {
    throw new MemburstError('MEMBURST_MEMINFO_UNREADABLE', `${procRoot}/meminfo lacks Active(anon), Inactive(anon) or MemTotal`);
  }
  return { anonBytes: active + inactive, memTotalBytes: total };
}
