// Errors of the native layer. The C++ addon throws plain JS Errors carrying `code`,
// `errno` and `libbpfMessage`; toBpfError() turns them into BpfError so callers can
// match on the stable code (messages and libbpf's wording may change).
import { CodedError } from '../common/coded-error.js';

export type BpfErrorCode =
  | 'BPF_OPEN_FAILED'
  | 'BPF_LOAD_FAILED'
  | 'BPF_ATTACH_FAILED'
  | 'BPF_ATTACH_UNSUPPORTED'
  | 'BPF_PROGRAM_NOT_FOUND'
  | 'BPF_MAP_NOT_FOUND'
  | 'BPF_MAP_OP_FAILED'
  | 'BPF_RODATA_NOT_FOUND'
  | 'BPF_INVALID_ARGUMENT'
  | 'BPF_PERF_EVENT_FAILED'
  | 'BPF_RINGBUF_FAILED'
  | 'BPF_OBJECT_CLOSED'
  | 'BPF_MAP_READ_TOO_LARGE'
  | 'BPF_CPU_COUNT_UNAVAILABLE';

const knownCodes: ReadonlySet<string> = new Set<BpfErrorCode>([
  'BPF_OPEN_FAILED', 'BPF_LOAD_FAILED', 'BPF_ATTACH_FAILED', 'BPF_ATTACH_UNSUPPORTED',
  'BPF_PROGRAM_NOT_FOUND', 'BPF_MAP_NOT_FOUND', 'BPF_MAP_OP_FAILED', 'BPF_RODATA_NOT_FOUND',
  'BPF_INVALID_ARGUMENT', 'BPF_PERF_EVENT_FAILED', 'BPF_RINGBUF_FAILED', 'BPF_OBJECT_CLOSED',
  'BPF_MAP_READ_TOO_LARGE', 'BPF_CPU_COUNT_UNAVAILABLE',
]);

export function isBpfErrorCode(code: unknown): code is BpfErrorCode {
  return typeof code === 'string' && knownCodes.has(code);
}

export class BpfError extends CodedError {
  declare readonly code: BpfErrorCode;
  /** The positive errno of the failing call (0 when there is none, e.g. a missing name). */
  readonly errno: number;
  /** The last lines libbpf logged on this thread before the failure ('' when none). */
  readonly libbpfMessage: string;

  constructor(code: BpfErrorCode, message: string, options: { errno?: number; libbpfMessage?: string; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errno = options.errno ?? 0;
    this.libbpfMessage = options.libbpfMessage ?? '';
  }

  override toJSON(): ReturnType<CodedError['toJSON']> & { errno: number; libbpfMessage: string } {
    return { ...super.toJSON(), errno: this.errno, libbpfMessage: this.libbpfMessage };
  }
}

/** Converts an error thrown by the addon into a BpfError; anything else passes through. */
export function toBpfError(err: unknown): unknown {
  if (err instanceof BpfError || !(err instanceof Error)) return err;
  const fields = err as Error & { code?: unknown; errno?: unknown; libbpfMessage?: unknown };
  if (!isBpfErrorCode(fields.code)) return err;
  const converted = new BpfError(fields.code, err.message, {
    errno: typeof fields.errno === 'number' ? fields.errno : 0,
    libbpfMessage: typeof fields.libbpfMessage === 'string' ? fields.libbpfMessage : '',
  });
  // Keep the native frames: they show which addon method failed.
  if (err.stack !== undefined) converted.stack = err.stack.replace(/^Error/, 'BpfError');
  return converted;
}

/** Runs `fn`, rethrowing addon errors as BpfError. */
export function native<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toBpfError(err);
  }
}

export type BtfErrorCode = 'BTF_MISSING' | 'BTF_INVALID';

/** Kernel BTF that cannot be read (src/native/btf.ts): absent, or not BTF at all. */
export class BtfError extends CodedError {
  declare readonly code: BtfErrorCode;
  constructor(code: BtfErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
