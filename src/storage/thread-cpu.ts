// CPU seconds consumed by the calling thread: utime + stime (fields 14 and 15 of
// /proc/thread-self/stat) in clock ticks. CLK_TCK is 100 on every Linux we target.
import fs from 'node:fs';

const CLK_TCK = 100;

export function threadCpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state), so field N is rest[N - 3].
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLK_TCK : 0;
  } catch {
    return 0;
  }
}
