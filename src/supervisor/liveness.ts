// How the supervisor knows a worker-thread actor is alive without waking it up.
//
// A heartbeat message every second from each of nine idle workers cost about 0.5 % of a
// core (measured: the timer, a /proc read and a postMessage in each worker, the message
// dispatch in the main thread) — the whole CPU budget of an idle agent. Instead the main
// thread reads each worker's event-loop utilization (worker.performance, kept by libuv and
// readable from another thread, idle time in epoll included while it is in progress): a loop
// that was idle at any moment since the last look is turning, so it is not hung. Only a loop
// with no idle time at all — hung, or busy without a pause — is sent a `ping`, which a live
// actor answers with a heartbeat message on its next turn. The worker's CPU seconds are read
// by the main thread as well, from /proc/self/task/<tid>/stat.
//
// Process isolation keeps the 1 s heartbeat messages: a child's loop cannot be observed
// from here.
import type { EventLoopUtilization } from 'node:perf_hooks';
import { ThreadCpuClock } from '../common/cpu-time.js';

/** worker.performance.eventLoopUtilization, bound to one worker. */
export type LoopUtilizationReader = (current?: EventLoopUtilization, previous?: EventLoopUtilization) => EventLoopUtilization;

export interface LivenessSample {
  /** The loop was idle at some point since the previous sample: it turns. */
  turned: boolean;
  /** Busy fraction of the loop since the previous sample, 0..1. */
  utilization: number;
}

export class ThreadLiveness {
  private previous: EventLoopUtilization;
  private cpu: ThreadCpuClock | undefined;

  constructor(private readonly read: LoopUtilizationReader) {
    this.previous = read();
  }

  /** The worker's kernel task id, from its first heartbeat message. */
  setThreadId(tid: number): void {
    this.cpu ??= new ThreadCpuClock(tid);
  }

  sample(): LivenessSample {
    const now = this.read();
    const delta = this.read(now, this.previous);
    this.previous = now;
    return { turned: delta.idle > 0, utilization: Math.min(1, Math.max(0, delta.utilization)) };
  }

  /** Undefined until the thread id is known. */
  cpuSeconds(): number | undefined {
    return this.cpu?.seconds();
  }

  close(): void {
    this.cpu?.close();
  }
}
