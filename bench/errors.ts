// Errors of the benchmark harness. Each names what failed and how to fix it, with a stable
// code so a failed benchmark's row in the report says why (BENCH_*), not just "failed".
import { CodedError } from '../src/common/coded-error.js';

export type BenchErrorCode =
  | 'BENCH_BAD_OPTION'
  | 'BENCH_AGENT_START'
  | 'BENCH_AGENT_EXIT'
  | 'BENCH_TOOL'
  | 'BENCH_TIMEOUT'
  | 'BENCH_NO_EVENT'
  | 'BENCH_HOST';

export class BenchError extends CodedError {
  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export const badOption = (option: string, message: string): BenchError => new BenchError('BENCH_BAD_OPTION', `${option}: ${message}`);
export const toolFailed = (command: string, detail: string): BenchError => new BenchError('BENCH_TOOL', `${command} failed: ${detail}`);
export const timedOut = (what: string, ms: number): BenchError => new BenchError('BENCH_TIMEOUT', `timed out after ${ms} ms waiting for ${what}`);
