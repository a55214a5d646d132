// Errors of the tracer API and the actor runtime. Codes are stable: they cross the
// worker/process boundary as plain objects, where class identity is lost.
import { CodedError } from '../common/coded-error.js';

export type ActorErrorCode =
  | 'TRACER_DUPLICATE'
  | 'TRACER_NO_FLAG'
  | 'TRACER_BAD_INTERVAL'
  | 'TRACER_BAD_NAME'
  | 'TRACER_NOT_REGISTERED'
  | 'TRACER_UNAVAILABLE'
  | 'TRACER_BAD_CONFIG'
  /** ctx.containers was used by a tracer whose settings have no `containers` block. */
  | 'TRACER_NO_CONTAINERS'
  | 'TRIGGER_UNSUPPORTED'
  | 'TRIGGER_BUSY'
  | 'UNHANDLED_REJECTION'
  | 'ACTOR_NOT_STARTED'
  | 'SAVE_FAILED'
  | 'EVENT_NOT_JSON'
  | 'EVENT_TOO_LARGE'
  /** Storage could not take the event (its mailbox overflowed while it could not write). */
  | 'EVENT_DROPPED'
  | 'SAVE_ABORTED'
  | 'RECORD_BAD_OPTIONS'
  | 'RECORD_OUT_NOT_EMPTY'
  | 'RECORD_BAD_MANIFEST';

export class ActorError extends CodedError {
  declare readonly code: ActorErrorCode;
  constructor(code: ActorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Thrown by a tracer (from its factory or start()) when the running kernel cannot support
 * it: missing tracepoint, BTF, permission. The supervisor marks the tracer `unavailable`
 * and does not restart it — this is not a crash.
 */
export class TracerUnavailableError extends CodedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRACER_UNAVAILABLE', message, options);
  }
}
