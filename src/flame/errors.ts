// Errors of the flame-graph renderers. Codes are stable (the HTTP API and the CLI match on
// them); messages may change.
import { CodedError } from '../common/coded-error.js';

export type FlameErrorCode =
  /** The event carries no profile: neither `tracer_data.folded` nor `tracer_data.flamedata`, or both empty. */
  | 'FLAME_NO_PROFILE'
  /** The event's profile is there but malformed (bad folded line, flamedata not a pre-order walk). */
  | 'FLAME_BAD_PROFILE'
  /** A format name that is not one of FLAME_FORMATS. */
  | 'FLAME_BAD_FORMAT';

export class FlameError extends CodedError {
  declare readonly code: FlameErrorCode;
  constructor(code: FlameErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
