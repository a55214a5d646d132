// The base of every error autotracer throws on purpose. Each area keeps its own
// errors.ts with one subclass (or factory) per failure mode; the `code` is stable and
// is what callers, tests and the HTTP API match on, because messages may change and
// class identity is lost when an error crosses a worker or process boundary.
export class CodedError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** A plain object that survives structured clone and JSON (worker/IPC messages). */
  toJSON(): SerializedError {
    return { name: this.name, code: this.code, message: this.message, stack: this.stack };
  }
}

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string | undefined;
}

/** Turns anything thrown into a SerializedError, keeping a `code` where there is one. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof CodedError) return err.toJSON();
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}
