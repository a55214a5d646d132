// Errors of the supervisor. Stable codes: tests, the CLI and the HTTP API match on them.
import { CodedError } from '../common/coded-error.js';

export type SupervisorErrorCode =
  | 'ACTOR_EXITED'
  | 'CALL_TIMEOUT'
  | 'UNKNOWN_TRACER'
  | 'TRACER_NOT_RUNNING'
  | 'TRACER_ALREADY_RUNNING'
  | 'STORAGE_UNAVAILABLE'
  | 'STORAGE_OVER_BUDGET'
  | 'STORAGE_REQUEST_FAILED'
  | 'MAILBOX_DROPPED'
  | 'SUPERVISOR_STOPPED';

export class SupervisorError extends CodedError {
  declare readonly code: SupervisorErrorCode;
  constructor(code: SupervisorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export type FaultInjectionErrorCode = 'FAULT_INJECTION_DISABLED' | 'FAULT_UNSUPPORTED';

/** Refused fault injections (soak and fault tests only; see TracerChild.injectFault). */
export class FaultInjectionError extends CodedError {
  declare readonly code: FaultInjectionErrorCode;
  constructor(code: FaultInjectionErrorCode, message: string) {
    super(code, message);
  }
}
