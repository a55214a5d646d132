// CPU seconds consumed by an actor (tracer or storage). A worker thread shares its
// process, so it reads its own thread's line (/proc/thread-self/stat); a child process reads /proc/self/stat.
// utime and stime are fields 14 and 15, in clock ticks (CLK_TCK is 100 on Linux).
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

export function parseStatCpuSeconds(stat: string): number {
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return 0;
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

export function readCpuSeconds(scope: 'thread' | 'process'): number {
  try {
    return parseStatCpuSeconds(readFileSync(scope === 'thread' ? '/proc/thread-self/stat' : '/proc/self/stat', 'utf8'));
  } catch {
    return 0;
  }
}
