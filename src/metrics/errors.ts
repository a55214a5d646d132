// Errors of the metrics area (stable codes).
import { CodedError } from '../common/coded-error.js';

export type MetricsErrorCode = 'METRIC_NAME_INVALID' | 'METRIC_TYPE_CONFLICT';

export class MetricsError extends CodedError {
  declare readonly code: MetricsErrorCode;
  constructor(code: MetricsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
