// Errors of the waitrate tracer. Codes are stable (they cross actor boundaries).
import { CodedError } from '../../../common/coded-error.js';

export type WaitrateErrorCode = 'WAITRATE_CONFIG_INVALID' | 'WAITRATE_CAPTURE_BUSY' | 'WAITRATE_NOT_STARTED' | 'WAITRATE_UNKNOWN_CONTAINER';

export class WaitrateError extends CodedError {
  declare readonly code: WaitrateErrorCode;
  constructor(code: WaitrateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
