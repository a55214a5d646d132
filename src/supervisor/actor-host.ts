// ActorHost hides the transport of one actor instance: a worker thread (isolation
// "thread") or a forked child (isolation "process"). Both give the same lifecycle:
// messages, one `exited` promise with (code, signal, error), terminate and kill.
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { serializeError, type SerializedError } from '../common/coded-error.js';
import type { Isolation } from '../actors/protocol.js';
import type { LoopUtilizationReader } from './liveness.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The worker's 'error' event (uncaught error, ERR_WORKER_OUT_OF_MEMORY). */
  error?: SerializedError;
}

export interface ActorHost<In, Out> {
  readonly isolation: Isolation;
  /** OS process id (the agent's own pid for a thread). */
  readonly pid: number | undefined;
  readonly exited: Promise<ExitInfo>;
  readonly alive: boolean;
  send(msg: In): void;
  onMessage(handler: (msg: Out) => void): void;
  /** Polite: worker.terminate() / SIGTERM. */
  terminate(): void;
  /** Forceful: worker.terminate() / SIGKILL. */
  kill(): void;
  /** The worker's event-loop utilization, read from this thread (threads only: see liveness.ts). */
  readonly loopUtilization: LoopUtilizationReader | undefined;
}

export interface HostOptions {
  /** Heap cap; a thread gets resourceLimits, a process --max-old-space-size. */
  maxOldGenerationSizeMb?: number;
  workerData?: unknown;
  /** Extra environment for a child process. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Actors map their stack traces through the source maps tsc emits, so a crash reported in
 * status and the log names the tracer's .ts file and line, not dist/*.js. Given on the
 * command line (not process.setSourceMapsEnabled in the entry) so the maps of modules
 * loaded before the actor's first line runs are cached too.
 */
const SOURCE_MAPS_FLAG = '--enable-source-maps';

export function createHost<In, Out>(isolation: Isolation, entryPath: string, options: HostOptions = {}): ActorHost<In, Out> {
  return isolation === 'thread' ? new ThreadHost<In, Out>(entryPath, options) : new ProcessHost<In, Out>(entryPath, options);
}

class ThreadHost<In, Out> implements ActorHost<In, Out> {
  readonly isolation = 'thread' as const;
  readonly pid = process.pid;
  readonly exited: Promise<ExitInfo>;
  alive = true;
  readonly loopUtilization: LoopUtilizationReader;
  private readonly worker: Worker;

  constructor(entryPath: string, options: HostOptions) {
    this.worker = new Worker(entryPath, {
      workerData: options.workerData,
      execArgv: [SOURCE_MAPS_FLAG],
      ...(options.maxOldGenerationSizeMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } } : {}),
    });
    const perf = this.worker.performance;
    this.loopUtilization = (current, previous) => perf.eventLoopUtilization(current, previous);
    let error: SerializedError | undefined;
    this.worker.on('error', (err) => {
      error = serializeError(err);
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.alive = false;
        resolve({ code, signal: null, ...(error !== undefined ? { error } : {}) });
      });
    });
  }

  send(msg: In): void {
    if (this.alive) this.worker.postMessage(msg);
  }

  onMessage(handler: (msg: Out) => void): void {
    this.worker.on('message', (m: Out) => handler(m));
  }

  terminate(): void {
    void this.worker.terminate();
  }

  kill(): void {
    void this.worker.terminate();
  }
}

class ProcessHost<In, Out> implements ActorHost<In, Out> {
  readonly isolation = 'process' as const;
  readonly loopUtilization = undefined;
  readonly exited: Promise<ExitInfo>;
  alive = true;
  private readonly child: ChildProcess;

  constructor(entryPath: string, options: HostOptions) {
    this.child = fork(entryPath, [], {
      execArgv: [SOURCE_MAPS_FLAG, ...(options.maxOldGenerationSizeMb !== undefined ? [`--max-old-space-size=${options.maxOldGenerationSizeMb}`] : [])],
      serialization: 'json',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...(options.env !== undefined ? { env: { ...process.env, ...options.env } } : {}),
    });
    // A send racing the child's death raises EPIPE/ERR_IPC_CHANNEL_CLOSED here; the exit
    // event is what the supervisor acts on.
    this.child.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.alive = false;
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(msg: In): void {
    if (this.alive && this.child.connected) this.child.send(msg as object);
  }

  onMessage(handler: (msg: Out) => void): void {
    this.child.on('message', (m) => handler(m as Out));
  }

  terminate(): void {
    if (this.alive) this.child.kill('SIGTERM');
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}
