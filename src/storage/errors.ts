// Errors of the storage area. Codes are stable: the supervisor, tests and the HTTP API
// match on them because class identity is lost across the worker boundary.
import path from 'node:path';
import { CodedError } from '../common/coded-error.js';

/** The store path cannot be created or is not a directory we can use. */
export class StoreBadPathError extends CodedError {
  constructor(path: string, cause: unknown) {
    super('STORAGE_BAD_PATH', `storage path ${path} is not usable: ${describe(cause)}`, { cause });
  }
}

/** The LMDB file exists but cannot be opened (permissions, not a regular file, ...). */
export class StoreUnreadableError extends CodedError {
  constructor(file: string, cause: unknown) {
    super('STORAGE_UNREADABLE', `cannot open LMDB file ${file}: ${describe(cause)}`, { cause });
  }
}

/** The LMDB file is not an LMDB environment or is damaged. */
export class StoreCorruptError extends CodedError {
  constructor(file: string, cause: unknown) {
    super(
      'STORAGE_CORRUPT',
      `LMDB file ${file} is corrupt or not an LMDB file (${describe(cause)}); ` +
        `move it aside to start with an empty store: \`autotracer store reset --db ${path.dirname(file)}\` (renames, never deletes)`,
      { cause },
    );
  }
}

/** A commit failed because the filesystem is full; the batch was not stored. */
export class StoreDiskFullError extends CodedError {
  constructor(path: string, cause: unknown) {
    super('STORAGE_DISK_FULL', `cannot commit to ${path}: the filesystem is full (${describe(cause)})`, { cause });
  }
}

/** Not enough free space to open the store safely (LMDB faults when a mapped write cannot be backed). */
export class StoreNoSpaceError extends CodedError {
  constructor(dir: string, freeBytes: number, neededBytes: number) {
    super(
      'STORAGE_NO_SPACE',
      `no space on the filesystem of ${dir}: ${formatBytes(freeBytes)} free, at least ${formatBytes(neededBytes)} needed to open the store; free some space or point storage.path elsewhere`,
    );
  }
}

/** Any other commit failure; the batch was not stored. */
export class StoreWriteError extends CodedError {
  constructor(path: string, cause: unknown) {
    super('STORAGE_WRITE_FAILED', `cannot commit to ${path}: ${describe(cause)}`, { cause });
  }
}

/** A request carried an event that does not match EventInput. */
export class InvalidEventError extends CodedError {
  constructor(index: number, reason: string) {
    super('STORAGE_INVALID_EVENT', `event #${index} of the batch is invalid: ${reason}`);
  }
}

export class BatchTooLargeError extends CodedError {
  constructor(size: number, max: number) {
    super('STORAGE_BATCH_TOO_LARGE', `batch of ${size} events exceeds the limit of ${max}`);
  }
}

export class BadCursorError extends CodedError {
  constructor(cursor: string) {
    super('STORAGE_BAD_CURSOR', `query cursor ${JSON.stringify(cursor)} is not one this store issued`);
  }
}

export class StoreClosedError extends CodedError {
  constructor() {
    super('STORAGE_CLOSED', 'the store is closed');
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return code !== undefined ? `${String(code)}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
