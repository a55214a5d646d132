// The piscina pool that runs symbolization jobs off the caller's event loop. One pool per
// thread that captures, created on first use; one worker by default (the host has few
// CPUs and the job keeps per-worker ELF/kallsyms caches, which more workers would dilute).
// piscina is imported on first use: it costs ~0.8 MB of V8 heap in every tracer worker
// that can capture, and most of them never capture between restarts.
import type { Piscina } from 'piscina';
import { CaptureError } from './errors.js';
import type { SymbolizeJob, SymbolizeResult } from './symbolize.js';

export interface CapturePoolOptions {
  maxThreads?: number;
  /** ms an idle worker (and its caches) stays alive; default 30 s. */
  idleTimeout?: number;
}

type Pool = Piscina<SymbolizeJob, SymbolizeResult>;

/** A promise so that concurrent first jobs share one pool while piscina loads. */
let pool: Promise<Pool> | undefined;
let idleTimeoutMs = 30_000;
let trimTimer: NodeJS.Timeout | undefined;
let trims = 0;

/** How many times the pool's memory was handed back to the kernel after it went idle (tests, status). */
export function capturePoolTrims(): number {
  return trims;
}

/**
 * Once the pool's worker has exited after its idle timeout, glibc still holds the pages its
 * isolate and caches used (measured: 20 one-second captures took a process from 49 to 179 MB;
 * the worker's exit gave back 73 MB, malloc_trim 13 MB more). Trim then, once per idle period.
 */
function scheduleTrim(): void {
  if (trimTimer !== undefined) clearTimeout(trimTimer);
  trimTimer = setTimeout(() => {
    trimTimer = undefined;
    void import('../native/malloc.js').then(({ trimMalloc }) => {
      try {
        if (trimMalloc()) trims++;
      } catch {
        // no addon build: nothing to trim with
      }
    });
  }, idleTimeoutMs + 1000);
  trimTimer.unref(); // never keeps a worker or the agent alive
}

/** Replaces the pool (its workers and their caches) with one using these options. */
export async function configureCapturePool(options: CapturePoolOptions): Promise<void> {
  await closeCapturePool();
  pool = newPool(options);
  await pool;
}

async function newPool(options: CapturePoolOptions = {}): Promise<Pool> {
  const { Piscina } = await import('piscina');
  idleTimeoutMs = options.idleTimeout ?? 30_000;
  return new Piscina<SymbolizeJob, SymbolizeResult>({
    filename: new URL('./symbolize-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: options.maxThreads ?? 1,
    idleTimeout: idleTimeoutMs,
    name: 'default',
  });
}

export async function runSymbolizeJob(job: SymbolizeJob): Promise<SymbolizeResult> {
  pool ??= newPool();
  try {
    return await (await pool).run(job);
  } catch (err) {
    throw new CaptureError('CAPTURE_SYMBOLIZE_FAILED', `symbolization job failed: ${(err as Error).message}`, { cause: err });
  } finally {
    scheduleTrim();
  }
}

/** Stops the pool's workers (call at shutdown and in tests). Idempotent. */
export async function closeCapturePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  // A pool that never loaded has no workers to stop.
  const instance = await p?.catch(() => undefined);
  await instance?.destroy();
}
