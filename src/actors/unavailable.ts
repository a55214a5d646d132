// Deciding whether a failure means "this kernel cannot run the tracer" (report
// `unavailable`, never restart) rather than a crash (restart with backoff).
import { CodedError } from '../common/coded-error.js';

const EPERM = 1;

export function isUnavailableError(err: unknown): boolean {
  if (err instanceof CodedError && err.code === 'TRACER_UNAVAILABLE') return true;
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  if (code === 'TRACER_UNAVAILABLE' || code === 'BPF_ATTACH_UNSUPPORTED') return true;
  // Lockdown or missing capability: loading will never succeed on this kernel.
  return code === 'BPF_LOAD_FAILED' && errno === EPERM;
}
