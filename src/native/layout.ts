// A tiny declarative record layout: declare a C struct once (in the field order of the
// .h file) and get its size, field offsets, decode() and encode(). Offsets follow the C
// rules clang applies for BPF and x86-64 (every field aligned to its natural alignment,
// arrays to their element's, the struct padded to its largest alignment), so a layout
// can be compared with the object's BTF by a test: that comparison is what catches
// drift between the .h and the .ts.
import { CodedError } from '../common/coded-error.js';

/** A layout that cannot describe a C struct (e.g. a zero-length array), or a value that does not fit. */
export class LayoutError extends CodedError {
  constructor(message: string) {
    super('LAYOUT_INVALID', message);
  }
}

/** One field type; T is what decode() returns for it and encode() accepts. */
export interface FieldType<T> {
  /** C spelling, for messages and docs: `u32`, `char[16]`, `u64[127]`. */
  readonly cName: string;
  readonly size: number;
  readonly align: number;
  read(buf: Buffer, offset: number): T;
  write(buf: Buffer, offset: number, value: T): void;
}

function scalar<T>(cName: string, size: number, read: (b: Buffer, o: number) => T, write: (b: Buffer, o: number, v: T) => void): FieldType<T> {
  return { cName, size, align: size, read, write };
}

// write*LE throws a RangeError for out-of-range numbers, which is what we want: a value
// that does not fit the C field is a bug at the caller, not something to truncate.
export const u8 = scalar<number>('u8', 1, (b, o) => b.readUInt8(o), (b, o, v) => void b.writeUInt8(v, o));
export const s8 = scalar<number>('s8', 1, (b, o) => b.readInt8(o), (b, o, v) => void b.writeInt8(v, o));
export const u16 = scalar<number>('u16', 2, (b, o) => b.readUInt16LE(o), (b, o, v) => void b.writeUInt16LE(v, o));
export const s16 = scalar<number>('s16', 2, (b, o) => b.readInt16LE(o), (b, o, v) => void b.writeInt16LE(v, o));
export const u32 = scalar<number>('u32', 4, (b, o) => b.readUInt32LE(o), (b, o, v) => void b.writeUInt32LE(v, o));
export const s32 = scalar<number>('s32', 4, (b, o) => b.readInt32LE(o), (b, o, v) => void b.writeInt32LE(v, o));
export const u64 = scalar<bigint>('u64', 8, (b, o) => b.readBigUInt64LE(o), (b, o, v) => void b.writeBigUInt64LE(v, o));
export const s64 = scalar<bigint>('s64', 8, (b, o) => b.readBigInt64LE(o), (b, o, v) => void b.writeBigInt64LE(v, o));

function requireLength(length: number, what: string): void {
  if (!Number.isInteger(length) || length < 1) throw new LayoutError(`${what}: array length must be a positive integer, got ${length}`);
}

/**
 * char[N] as a string: decoding stops at the first NUL (C strings from bpf_*_str helpers
 * are NUL-terminated; comm may fill all N bytes). Encoding writes UTF-8, zero-filled,
 * and refuses strings longer than N bytes rather than silently cutting them.
 */
export function char(length: number): FieldType<string> {
  requireLength(length, 'char');
  return {
    cName: `char[${length}]`,
    size: length,
    align: 1,
    read(buf, offset) {
      const end = buf.indexOf(0, offset);
      return buf.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
    },
    write(buf, offset, value) {
      const bytes = Buffer.from(value, 'utf8');
      if (bytes.length > length) throw new LayoutError(`string of ${bytes.length} bytes does not fit char[${length}]`);
      buf.fill(0, offset, offset + length);
      bytes.copy(buf, offset);
    },
  };
}

/** T[N] of a scalar element, e.g. array(u64, 127) for a stack of instruction pointers. */
export function array<T>(element: FieldType<T>, length: number): FieldType<T[]> {
  requireLength(length, `${element.cName}[]`);
  return {
    cName: `${element.cName}[${length}]`,
    size: element.size * length,
    align: element.align,
    read(buf, offset) {
      return Array.from({ length }, (_, i) => element.read(buf, offset + i * element.size));
    },
    write(buf, offset, value) {
      if (value.length !== length) throw new LayoutError(`${element.cName}[${length}] needs exactly ${length} elements, got ${value.length}`);
      value.forEach((v, i) => element.write(buf, offset + i * element.size, v));
    },
  };
}

export type FieldSpec = Record<string, FieldType<unknown>>;
/** The JS object a layout decodes to: u64/s64 -> bigint, char[N] -> string, T[N] -> T[]. */
export type Decoded<F extends FieldSpec> = { [K in keyof F]: F[K] extends FieldType<infer T> ? T : never };

export interface FieldInfo {
  name: string;
  type: string;
  offset: number;
  size: number;
}

export interface Layout<F extends FieldSpec> {
  /** The C struct name (without `struct`), as it appears in the object's BTF. */
  readonly name: string;
  /** sizeof(struct name), including tail padding. */
  readonly size: number;
  readonly align: number;
  /** Fields in declaration order with their byte offsets. */
  readonly fields: readonly FieldInfo[];
  decode(buf: Buffer, offset?: number): Decoded<F>;
  /** A new zero-padded Buffer of `size` bytes. Every field must be present. */
  encode(value: Decoded<F>): Buffer;
}

const alignUp = (n: number, align: number): number => Math.ceil(n / align) * align;

/** Declares `struct name { ...fields }` (object key order = C member order). */
export function defineLayout<F extends FieldSpec>(name: string, spec: F): Layout<F> {
  const entries = Object.entries(spec);
  if (entries.length === 0) throw new LayoutError(`struct ${name} has no fields`);
  let offset = 0;
  let align = 1;
  const placed = entries.map(([field, type]) => {
    offset = alignUp(offset, type.align);
    const at = offset;
    offset += type.size;
    align = Math.max(align, type.align);
    return { field, type, offset: at };
  });
  const size = alignUp(offset, align);
  const fields = placed.map((p) => ({ name: p.field, type: p.type.cName, offset: p.offset, size: p.type.size }));

  return {
    name,
    size,
    align,
    fields,
    decode(buf, at = 0) {
      if (at < 0 || at + size > buf.length) {
        throw new LayoutError(`struct ${name} needs ${size} bytes at offset ${at}, the buffer has ${buf.length}`);
      }
      const out: Record<string, unknown> = {};
      for (const p of placed) out[p.field] = p.type.read(buf, at + p.offset);
      return out as Decoded<F>;
    },
    encode(value) {
      const buf = Buffer.alloc(size);
      const record = value as Record<string, unknown>;
      for (const p of placed) {
        if (!(p.field in record)) throw new LayoutError(`struct ${name}: field ${p.field} is missing`);
        p.type.write(buf, p.offset, record[p.field]);
      }
      return buf;
    },
  };
}

/** Sums slot `offset` (a u64) over the per-CPU values of a per-CPU map entry. */
export function sumPerCpuU64(values: readonly Buffer[], offset = 0): bigint {
  return values.reduce((sum, v) => sum + v.readBigUInt64LE(offset), 0n);
}
