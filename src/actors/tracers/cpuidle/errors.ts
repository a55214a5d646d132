// Errors of the cpuidle tracer. Codes are stable (they cross actor boundaries).
import { CodedError } from '../../../common/coded-error.js';

// CPUIDLE_NO_V2_CGROUP is reported in an event's capture_error, not thrown.
export type CpuIdleErrorCode = 'CPUIDLE_NO_CONTAINER' | 'CPUIDLE_UNKNOWN_CONTAINER' | 'CPUIDLE_NO_V2_CGROUP';

export class CpuIdleError extends CodedError {
  declare readonly code: CpuIdleErrorCode;
  constructor(code: CpuIdleErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
