// The one conversion from a resolved container to the identity an event carries (the
// document's container_id / container_hostname / container_type / container_qos). Tracers
// call it instead of spelling the object out, so every tracer names a container the same way.
import type { ContainerRef } from '../event/index.js';
import type { Container } from './types.js';

/** A container as an event names it (the type is the event contract's). */
export type { ContainerRef };

/**
 * id and type always; hostname and qos only when the resolver knows them (a plain cgroup has
 * neither, a container outside kubepods has no qos), so the stored fields stay '' rather than
 * "undefined". The runtime name, pod and namespace stay out: the document has no field for them.
 */
export function toContainerRef(container: Pick<Container, 'id' | 'type' | 'qos' | 'hostname'>): ContainerRef {
  return {
    id: container.id,
    type: container.type,
    ...(container.qos !== undefined ? { qos: container.qos } : {}),
    ...(container.hostname !== undefined ? { hostname: container.hostname } : {}),
  };
}
