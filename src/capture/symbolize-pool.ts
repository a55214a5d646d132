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

/** Replaces the pool (its workers and their caches) with one using these options. */
export async function configureCapturePool(options: CapturePoolOptions): Promise<void> {
  await closeCapturePool();
  pool = newPool(options);
  await pool;
}

async function newPool(options: CapturePoolOptions = {}): Promise<Pool> {
  const { Piscina } = await import('piscina');
  return new Piscina<SymbolizeJob, SymbolizeResult>({
    filename: new URL('./symbolize-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: options.maxThreads ?? 1,
    idleTimeout: options.idleTimeout ?? 30_000,
    name: 'default',
  });
}

export async function runSymbolizeJob(job: SymbolizeJob): Promise<SymbolizeResult> {
  pool ??= newPool();
  try {
    return await (await pool).run(job);
  } catch (err) {
    throw new CaptureError('CAPTURE_SYMBOLIZE_FAILED', `symbolization job failed: ${(err as Error).message}`, { cause: err });
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
