// Coded errors of the cost measurement (src/cost, `autotracer cost`, POST /api/v1/cost/measure).
import { CodedError } from '../common/coded-error.js';

export type CostErrorCode =
  /** A measurement is already running (one at a time: they would share the stats window). */
  | 'COST_BUSY'
  /** The window asked for is out of range. */
  | 'COST_BAD_WINDOW'
  /** The built-in ping-pong of --ab could not run. */
  | 'COST_WORKLOAD_FAILED';

export class CostError extends CodedError {
  constructor(code: CostErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
