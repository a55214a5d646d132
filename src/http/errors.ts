// Errors of the HTTP API. The `code` is stable and is what clients match on; the HTTP
// status travels with it so one catch turns any of them into the JSON error envelope.
import { CodedError } from '../common/coded-error.js';

export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_JSON'
  | 'BAD_PARAM'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'UNKNOWN_TRACER'
  | 'EVENT_NOT_FOUND'
  | 'FLAME_NO_PROFILE'
  | 'FLAME_BAD_PROFILE'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'TRACER_NOT_RUNNING'
  | 'TRACER_ALREADY_RUNNING'
  | 'TRIGGER_BUSY'
  | 'PAYLOAD_TOO_LARGE'
  | 'URI_TOO_LONG'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_SUBSCRIBERS'
  | 'NOT_IMPLEMENTED'
  | 'TOKEN_UNAVAILABLE'
  | 'STORAGE_UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'HOST_NOT_ALLOWED'
  | 'TRACER_NEEDS_CONTAINER'
  | 'UNKNOWN_CONTAINER'
  | 'INTERNAL';

export class HttpError extends CodedError {
  declare readonly code: HttpErrorCode;
  constructor(
    readonly status: number,
    code: HttpErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(code, message, options);
    this.headers = options?.headers ?? {};
  }
  readonly headers: Record<string, string>;
}

/** Errors at start-up of the HTTP server (token file, listen). */
export type HttpServerErrorCode = 'HTTP_LISTEN_FAILED' | 'HTTP_TOKEN_FILE';

export class HttpServerError extends CodedError {
  declare readonly code: HttpServerErrorCode;
  constructor(code: HttpServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
