// The event contract shared by the tracer side and storage (see types.ts). Zod-free and
// dependency-free on purpose: every tracer worker loads it.
export type { ContainerRef, EventDocument, EventInput, TracerType } from './types.js';
export { eventDataJson, MAX_EVENT_DATA_BYTES, oversizeJsonBytes } from './data-json.js';
