// Errors of the cpusys tracer. Codes are stable (they cross actor boundaries).
import { CodedError } from '../../../common/coded-error.js';

export type CpuSysErrorCode = 'CPUSYS_STAT_INVALID' | 'CPUSYS_STAT_UNREADABLE';

export class CpuSysError extends CodedError {
  declare readonly code: CpuSysErrorCode;
  constructor(code: CpuSysErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
