// Errors of the dload tracer. Codes are stable (they cross actor boundaries).
import { CodedError } from '../../../common/coded-error.js';

export type DloadErrorCode = 'DLOAD_UNKNOWN_CONTAINER';

export class DloadError extends CodedError {
  declare readonly code: DloadErrorCode;
  constructor(code: DloadErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
