// One isolate's memory, as an actor reports it to the supervisor (issue 14 item 8). Heap
// figures are per isolate (each worker thread has its own V8 heap); rss is the whole
// process's, so for a worker thread it is the agent's RSS again, not the actor's share.
import { getHeapStatistics } from 'node:v8';

export interface IsolateMemory {
  /** V8 heap in use / reserved by this isolate, bytes. */
  heapUsed: number;
  heapTotal: number;
  /** V8's heap limit for this isolate (resourceLimits / --max-old-space-size). */
  heapLimit: number;
  /** Memory of C++ objects bound to JS objects (Buffers included) of this isolate. */
  external: number;
  /** ArrayBuffer / Buffer backing stores of this isolate (part of external). */
  arrayBuffers: number;
  /** The process's resident set: per actor only with process isolation. */
  processRss: number;
  time: number;
}

export function isolateMemory(): IsolateMemory {
  const m = process.memoryUsage();
  return {
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    heapLimit: getHeapStatistics().heap_size_limit,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    processRss: m.rss,
    time: Date.now(),
  };
}
