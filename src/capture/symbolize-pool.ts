// The piscina pool that runs symbolization jobs off the caller's event loop. One pool per
// thread that captures, created on first use; one worker by default (the host has few
// CPUs and the job keeps per-worker ELF/kallsyms caches, which more workers would dilute).
import { Piscina } from 'piscina';
import { CaptureError } from './errors.js';
import type { SymbolizeJob, SymbolizeResult } from './symbolize.js';

export interface CapturePoolOptions {
  maxThreads?: number;
  /** ms an idle worker (and its caches) stays alive; default 30 s. */
  idleTimeout?: number;
}

let pool: Piscina<SymbolizeJob, SymbolizeResult> | undefined;

/** Replaces the pool (its workers and their caches) with one using these options. */
export async function configureCapturePool(options: CapturePoolOptions): Promise<void> {
  await closeCapturePool();
  pool = newPool(options);
}

function newPool(options: CapturePoolOptions = {}): Piscina<SymbolizeJob, SymbolizeResult> {
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
    return await pool.run(job);
  } catch (err) {
    throw new CaptureError('CAPTURE_SYMBOLIZE_FAILED', `symbolization job failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Stops the pool's workers (call at shutdown and in tests). Idempotent. */
export async function closeCapturePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p !== undefined) await p.destroy();
}
