// CPU seconds consumed by an actor (tracer or storage). A child process reads its own
// /proc/self/stat; a worker thread's CPU time is read by the supervisor from
// /proc/self/task/<tid>/stat (ThreadCpuClock), so the worker need not wake up for it.
// utime and stime are fields 14 and 15, in clock ticks (CLK_TCK is 100 on Linux).
import { closeSync, openSync, readFileSync, readlinkSync, readSync } from 'node:fs';

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

/** This process's CPU seconds (a process actor's heartbeat). */
export function readProcessCpuSeconds(): number {
  try {
    return parseStatCpuSeconds(readFileSync('/proc/self/stat', 'utf8'));
  } catch {
    return 0;
  }
}

/**
 * This thread's kernel task id, from the /proc/thread-self link ("<pid>/task/<tid>").
 * A worker sends it once so the supervisor can read the worker's CPU time itself.
 */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads one thread of this process's CPU seconds from outside the thread, so the thread
 * need not wake up to report it. The file stays open and is re-read at offset 0 (pread):
 * no path walk and no open/close per reading. After the thread has exited the read fails
 * and the last good value is returned.
 */
export class ThreadCpuClock {
  private fd: number | undefined;
  private last = 0;
  private readonly buf = Buffer.alloc(1024);

  constructor(tid: number) {
    try {
      this.fd = openSync(`/proc/self/task/${tid}/stat`, 'r');
    } catch {
      this.fd = undefined; // the thread is already gone: seconds stay 0
    }
  }

  seconds(): number {
    if (this.fd === undefined) return this.last;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      const line = this.buf.toString('latin1', 0, n);
      // An exited task reads empty: keep the last value rather than fall to 0.
      if (line.includes(')')) this.last = parseStatCpuSeconds(line);
      else this.close();
    } catch {
      this.close();
    }
    return this.last;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}
