// The event contract: what a tracer hands over and what storage makes of it. The tracer side
// (ctx.save() in the actor runtime) builds EventInput; the storage actor turns it into the
// EventDocument it stores and ships; the HTTP API, the CLI and the flame renderers read that
// document back. Both sides import these types from here, so the tracer side never reaches
// into src/storage/. Plain objects only (structured-clone and JSON safe).
/** How an event came to be, as HUATUO spells it. */
export type TracerType = 'autotracing' | 'event' | 'manual';

/**
 * Container identity attached by the tracer (from the container resolver): made by
 * toContainerRef in src/containers, the one conversion from a resolved Container. Defined
 * here, in the contract, because event sits below containers in the layering.
 */
export interface ContainerRef {
  id: string;
  hostname?: string;
  type?: string;
  qos?: string;
}

/**
 * One event on its way to the storage actor (what ctx.save() becomes); storage fills in the rest.
 * The data travels as JSON text, serialised once where it was made (the tracer's actor, by
 * eventDataJson): a value that is not JSON-safe fails that one ctx.save() in the tracer that made
 * it, the messages that carry it are flat (cheap to clone twice, tracer → supervisor → storage),
 * and the storage actor copies the text into the document instead of encoding it again.
 */
export interface EventInput {
  tracerName: string;
  tracerType: TracerType;
  /** Milliseconds since the epoch; when the anomaly was detected (tracer_time). */
  time: number;
  /** The capture window (ms since the epoch), when the event has one (capture_started / capture_ended). */
  captureStarted?: number;
  captureEnded?: number;
  container?: ContainerRef;
  /** JSON text of the tracer's data (`null` when it had none). Made by eventDataJson. */
  dataJson: string;
}

/**
 * The stored and shipped document: HUATUO's schema, snake_case, pinned by tests.
 * Times are RFC 3339 with milliseconds. `tracer_id` is sortable, unique and the ES `_id`.
 */
export interface EventDocument {
  hostname: string;
  region: string;
  uploaded_time: string;
  container_id: string;
  container_hostname: string;
  container_type: string;
  container_qos: string;
  tracer_name: string;
  tracer_id: string;
  /** When the anomaly was detected. */
  tracer_time: string;
  tracer_type: TracerType;
  /** The capture window behind the event; null for events without one (kernel events, memburst). */
  capture_started: string | null;
  capture_ended: string | null;
  tracer_data: unknown;
}
