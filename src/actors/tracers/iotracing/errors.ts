// Errors of the iotracing tracer. Codes are stable (they cross actor boundaries).
import { CodedError } from '../../../common/coded-error.js';

export type IotracingErrorCode = 'IOTRACING_DISKSTATS_UNREADABLE' | 'IOTRACING_CAPTURE_BUSY' | 'IOTRACING_UNKNOWN_DEVICE' | 'IOTRACING_BAD_TOPOLOGY';

export class IotracingError extends CodedError {
  declare readonly code: IotracingErrorCode;
  constructor(code: IotracingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
