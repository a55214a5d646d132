// Errors of the soak harness. Stable codes: the report and the test match on them.
import { CodedError } from '../../src/common/coded-error.js';

export type SoakErrorCode =
  | 'SOAK_BAD_ARGS'
  | 'SOAK_SETUP_FAILED'
  | 'SOAK_AGENT_START'
  | 'SOAK_API';

export class SoakError extends CodedError {
  declare readonly code: SoakErrorCode;
  constructor(code: SoakErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
