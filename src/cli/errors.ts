// Errors of the CLI. Each code maps to one documented exit status (exitCodeOf, exhaustive),
// and carries an optional hint: the one line that tells the user what to do next.
import { CodedError } from '../common/coded-error.js';

/** The documented exit statuses (`autotracer --help`, docs/cli.md). */
export const ExitCode = {
  ok: 0,
  /** Runtime failure: agent unreachable, server error, I/O error. */
  failure: 1,
  /** Bad usage or bad configuration. */
  usage: 2,
  /** Unknown tracer or event (or an event without a profile for `flame`). */
  notFound: 3,
  /** The agent refused the token (401/403) or no token could be read. */
  auth: 4,
} as const;
export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

export type CliErrorCode =
  | 'CLI_USAGE'
  | 'CLI_CONFIG'
  | 'CLI_UNREACHABLE'
  | 'CLI_SERVER'
  | 'CLI_CONFLICT'
  | 'CLI_BAD_RESPONSE'
  | 'CLI_NOT_FOUND'
  | 'CLI_AUTH'
  | 'CLI_IO'
  | 'CLI_UNAVAILABLE';

export class CliError extends CodedError {
  declare readonly code: CliErrorCode;
  constructor(
    code: CliErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export function exitCodeOf(code: CliErrorCode): ExitStatus {
  switch (code) {
    case 'CLI_USAGE':
    case 'CLI_CONFIG':
      return ExitCode.usage;
    case 'CLI_NOT_FOUND':
      return ExitCode.notFound;
    case 'CLI_AUTH':
      return ExitCode.auth;
    case 'CLI_UNREACHABLE':
    case 'CLI_SERVER':
    case 'CLI_CONFLICT':
    case 'CLI_BAD_RESPONSE':
    case 'CLI_IO':
    case 'CLI_UNAVAILABLE':
      return ExitCode.failure;
    default: {
      const never: never = code;
      return never;
    }
  }
}

/** The hint printed when an error carries none: every error line has a next step. */
export function defaultHint(code: CliErrorCode): string {
  switch (code) {
    case 'CLI_USAGE':
      return 'see `autotracer --help`, or `autotracer <command> --help` for its options';
    case 'CLI_CONFIG':
      return 'every key, its default and its range: docs/config.md';
    case 'CLI_NOT_FOUND':
      return '`autotracer tracers list` and `autotracer events` show what exists';
    case 'CLI_AUTH':
      return 'pass --token-file <file> or set $AUTOTRACER_TOKEN';
    case 'CLI_UNREACHABLE':
      return 'start the agent with `npm start`, or pass --api <url>';
    case 'CLI_SERVER':
    case 'CLI_CONFLICT':
    case 'CLI_BAD_RESPONSE':
    case 'CLI_UNAVAILABLE':
      return 'see the agent log (journalctl -u autotracer) for details';
    case 'CLI_IO':
      return 'check the path and its permissions';
    default: {
      const never: never = code;
      return never;
    }
  }
}

export const usageError = (message: string, hint?: string): CliError => new CliError('CLI_USAGE', message, hint);
