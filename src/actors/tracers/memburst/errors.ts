// Errors of the memburst tracer. Codes are stable (they cross actor boundaries).
import { CodedError } from '../../../common/coded-error.js';

export type MemburstErrorCode = 'MEMBURST_MEMINFO_UNREADABLE';

export class MemburstError extends CodedError {
  declare readonly code: MemburstErrorCode;
  constructor(code: MemburstErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
