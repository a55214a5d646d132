// Public surface for tracer authors.
export { Flag, registerTracer } from './tracer-api.js';
export type {
  CooldownApi, CooldownState, FlagBits, LoadBpfOptions, Logger, MetricSample, SaveInput, Tracer, TracerAttr,
  TracerContext, TracerFactory, TriggerRequest,
} from './tracer-api.js';
export { ActorError, TracerUnavailableError } from './errors.js';
