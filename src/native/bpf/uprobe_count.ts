// TS side of uprobe_count.bpf.c (no shared struct: one per-CPU u64 counter).
import { readFileSync } from 'node:fs';

export const UPROBE_COUNT_OBJECT = 'uprobe_count';
/** SEC("uprobe") without a target: attach with BpfObject.attachUprobe, not attach(). */
export const UPROBE_COUNT_PROGRAM = 'count_call';
/** PERCPU_ARRAY, one u64 at key 0: calls seen (of target_tgid when set). */
export const UPROBE_COUNT_MAP = 'calls';

/** rodata knob: count only this process (0 = all). */
export function uprobeCountRodata(targetTgid: number): { target_tgid: number } {
  return { target_tgid: targetTgid };
}

/** The C library this process maps (e.g. /lib/x86_64-linux-gnu/libc.so.6), from /proc/self/maps. */
export function findLibc(): string | undefined {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  for (const line of maps.split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && /\/libc(\.so\.\d+|-[\d.]+\.so)$/.test(path)) return path;
  }
  return undefined;
}
