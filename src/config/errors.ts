// Errors of configuration loading. The CLI exits 2 on any of them.
import { CodedError } from '../common/coded-error.js';

export type ConfigErrorCode = 'CONFIG_UNREADABLE' | 'CONFIG_NOT_JSON' | 'CONFIG_INVALID';

export class ConfigError extends CodedError {
  declare readonly code: ConfigErrorCode;
  /** One line per problem: `<key path>: <what was expected>`. */
  readonly problems: string[];
  constructor(code: ConfigErrorCode, message: string, problems: string[] = [], options?: { cause?: unknown }) {
    super(code, message, options);
    this.problems = problems;
  }
}
