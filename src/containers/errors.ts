// Errors of the container resolver and its accounting readers. Tracers match on `code`:
// CONTAINER_GONE in particular means "the cgroup vanished under you, skip it", which is
// routine (containers stop all the time) and must never restart a tracer.
import { CodedError } from '../common/coded-error.js';

export type ContainerErrorCode =
  /** The container's cgroup directory no longer exists (it stopped between scan and read). */
  | 'CONTAINER_GONE'
  /** A filter rule has an unknown field or a pattern that is not a valid regular expression. */
  | 'CONTAINER_FILTER_INVALID'
  /** A cgroup file exists but could not be read (permissions, EIO...). */
  | 'CONTAINER_READ_FAILED'
  /** A cgroup file holds a value we cannot use (quota 0, period 0, unparsable text). */
  | 'CONTAINER_INVALID_VALUE'
  /** The container lacks the hierarchy this reading needs (e.g. PSI without a v2 directory). */
  | 'CONTAINER_UNSUPPORTED'
  /** No cgroup hierarchy (v1 nor v2) is mounted where the configuration says or mountinfo shows. */
  | 'CONTAINER_NO_CGROUPFS'
  /** The containers configuration does not match its schema (other than a filter rule). */
  | 'CONTAINER_CONFIG_INVALID';

export class ContainerError extends CodedError {
  declare readonly code: ContainerErrorCode;
  constructor(code: ContainerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export class ContainerGoneError extends ContainerError {
  /** The container id as the resolver knew it. */
  readonly containerId: string;
  constructor(containerId: string, dir: string, options?: { cause?: unknown }) {
    super('CONTAINER_GONE', `container ${containerId} is gone (${dir} no longer exists)`, options);
    this.containerId = containerId;
  }
}

export class ContainerFilterError extends ContainerError {
  /** Which list and index the bad rule sits at, e.g. `excluded[1]`. */
  readonly rule: string;
  constructor(rule: string, message: string, options?: { cause?: unknown }) {
    super('CONTAINER_FILTER_INVALID', `container filter rule ${rule}: ${message}`, options);
    this.rule = rule;
  }
}

/** True for the error a tracer should treat as "skip this container". */
export function isContainerGone(err: unknown): err is ContainerGoneError {
  return err instanceof CodedError && err.code === 'CONTAINER_GONE';
}
