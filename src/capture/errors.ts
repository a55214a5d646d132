// Errors of the profile capture library. Codes are stable (callers and tests match on
// them); messages may change.
import { CodedError } from '../common/coded-error.js';

export type CaptureErrorCode =
  /** Bad options (frequency, duration, map sizes, scope). */
  | 'CAPTURE_INVALID_OPTIONS'
  /** The cgroup directory of a cgroup-scoped capture does not exist (or is not a v2 directory). */
  | 'CAPTURE_CGROUP_NOT_FOUND'
  /** Neither perf cgroup mode nor the BPF id filter could be attached. */
  | 'CAPTURE_ATTACH_FAILED'
  /** The symbolization job in the pool failed. */
  | 'CAPTURE_SYMBOLIZE_FAILED';

export class CaptureError extends CodedError {
  constructor(code: CaptureErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export type ElfErrorCode =
  /** Not an ELF file, or truncated. */
  | 'ELF_INVALID'
  /** An ELF this reader does not handle (32-bit or big-endian). */
  | 'ELF_UNSUPPORTED'
  /** The file cannot be opened or read. */
  | 'ELF_UNREADABLE';

export class ElfError extends CodedError {
  constructor(code: ElfErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
