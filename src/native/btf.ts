// A small reader of kernel BTF (the raw blob at /sys/kernel/btf/vmlinux, or the .BTF
// section of a vmlinux ELF), enough to answer feature questions without loading anything:
// does a type/typedef/function/enum value exist, does a struct have a member, what are a
// function prototype's parameter types. Parsing in TypeScript (about 50 ms for a 6 MB
// vmlinux BTF) avoids spawning bpftool and works on any BTF file handed to it, which is
// how tests and the qemu run feed another kernel's BTF. Format: Documentation/bpf/btf.rst.
import { readFileSync } from 'node:fs';
import { BtfError } from './errors.js';

const BTF_MAGIC = 0xeb9f;

export const BtfKind = {
  int: 1, ptr: 2, array: 3, struct: 4, union: 5, enum: 6, fwd: 7, typedef: 8, volatile: 9, const: 10, restrict: 11,
  func: 12, funcProto: 13, var: 14, datasec: 15, float: 16, declTag: 17, typeTag: 18, enum64: 19,
} as const;

/** Bytes that follow the 12-byte common header of a type, by kind and vlen. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.int:
    case BtfKind.var:
    case BtfKind.declTag:
      return 4;
    case BtfKind.array:
      return 12;
    case BtfKind.struct:
    case BtfKind.union:
    case BtfKind.datasec:
    case BtfKind.enum64:
      return vlen * 12;
    case BtfKind.enum:
    case BtfKind.funcProto:
      return vlen * 8;
    default:
      return 0;
  }
}

/** Qualifiers that wrap a type without naming it (typedefs are kept: they are names). */
const QUALIFIERS: ReadonlySet<number> = new Set([BtfKind.volatile, BtfKind.const, BtfKind.restrict, BtfKind.typeTag]);

export class KernelBtf {
  /** Byte offset of each type's header in `types` (index = type id; 0 = void). */
  private readonly offsets: Int32Array;
  private readonly types: Buffer;
  private readonly strings: Buffer;

  private constructor(blob: Buffer, readonly source: string) {
    if (blob.length < 24 || blob.readUInt16LE(0) !== BTF_MAGIC) {
      throw new BtfError('BTF_INVALID', `${source}: not BTF (magic 0x${blob.length >= 2 ? blob.readUInt16LE(0).toString(16) : '?'}, want 0xeb9f)`);
    }
    const hdrLen = blob.readUInt32LE(4);
    const typeOff = blob.readUInt32LE(8);
    const typeLen = blob.readUInt32LE(12);
    const strOff = blob.readUInt32LE(16);
    const strLen = blob.readUInt32LE(20);
    if (hdrLen + strOff + strLen > blob.length || hdrLen + typeOff + typeLen > blob.length) {
      throw new BtfError('BTF_INVALID', `${source}: BTF sections run past the end of the file (truncated?)`);
    }
    this.types = blob.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen);
    this.strings = blob.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
    const offsets: number[] = [-1];
    for (let off = 0; off < this.types.length;) {
      const info = this.types.readUInt32LE(off + 4);
      offsets.push(off);
      off += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff);
    }
    this.offsets = Int32Array.from(offsets);
  }

  /** Reads raw BTF, or the .BTF section of an ELF file (an extracted vmlinux). */
  static load(path = '/sys/kernel/btf/vmlinux'): KernelBtf {
    let blob: Buffer;
    try {
      blob = readFileSync(path);
    } catch (err) {
      throw new BtfError('BTF_MISSING', `no kernel BTF at ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    return new KernelBtf(blob.readUInt32BE(0) === 0x7f454c46 ? elfSection(blob, '.BTF', path) : blob, path);
  }

  /**
   * KernelBtf.load, shared for a few seconds: a tracer's start and doctor ask several
   * questions in a row (one per tracepoint), each of which would otherwise read and index
   * the file again (~0.3 s). The blob (~6 MB) is then dropped, not kept for the process.
   */
  static shared(path = '/sys/kernel/btf/vmlinux'): KernelBtf {
    const hit = recent.get(path);
    if (hit !== undefined) return hit;
    const btf = KernelBtf.load(path);
    recent.set(path, btf);
    setTimeout(() => recent.delete(path), SHARE_MS).unref();
    return btf;
  }

  static fromBuffer(blob: Buffer, source = 'buffer'): KernelBtf {
    return new KernelBtf(blob, source);
  }

  get typeCount(): number {
    return this.offsets.length - 1;
  }

  private str(off: number): string {
    const end = this.strings.indexOf(0, off);
    return this.strings.toString('latin1', off, end < 0 ? this.strings.length : end);
  }

  private kind(id: number): number {
    return (this.types.readUInt32LE(this.offsets[id]! + 4) >>> 24) & 0x1f;
  }

  private vlen(id: number): number {
    return this.types.readUInt32LE(this.offsets[id]! + 4) & 0xffff;
  }

  /** The size_or_type word of the header: the referenced type for ptr/typedef/func/... */
  private ref(id: number): number {
    return this.types.readUInt32LE(this.offsets[id]! + 8);
  }

  private nameOf(id: number): string {
    return id === 0 ? '' : this.str(this.types.readUInt32LE(this.offsets[id]!));
  }

  /**
   * Type ids named `name` of the given kind. BTF deduplicates its strings, so the name has
   * one offset in the string section; a linear pass over the type headers (a few ms for
   * vmlinux) then beats decoding every name into a map up front (about 1.5 s).
   */
  find(name: string, kind: number): number[] {
    const needle = Buffer.from(`\0${name}\0`, 'latin1');
    const nameOffs = new Set<number>();
    for (let at = this.strings.indexOf(needle); at >= 0; at = this.strings.indexOf(needle, at + 1)) nameOffs.add(at + 1);
    if (nameOffs.size === 0) return [];
    const out: number[] = [];
    for (let id = 1; id < this.offsets.length; id++) {
      if (nameOffs.has(this.types.readUInt32LE(this.offsets[id]!)) && this.kind(id) === kind) out.push(id);
    }
    return out;
  }

  has(name: string, kind: number): boolean {
    return this.find(name, kind).length > 0;
  }

  /** tp_btf can attach to `name`: the kernel declares the `btf_trace_<name>` typedef. */
  hasTracepoint(name: string): boolean {
    return this.has(`btf_trace_${name}`, BtfKind.typedef);
  }

  /** A function the kernel's BTF describes (kfuncs such as bpf_task_get_cgroup1 are among them). */
  hasFunc(name: string): boolean {
    return this.has(name, BtfKind.func);
  }

  /** Whether a named struct has a member, looking into anonymous struct/union members. */
  structHasMember(struct: string, member: string): boolean {
    return this.find(struct, BtfKind.struct).some((id) => this.membersOf(id).includes(member));
  }

  private membersOf(id: number): string[] {
    const out: string[] = [];
    const base = this.offsets[id]! + 12;
    for (let i = 0; i < this.vlen(id); i++) {
      const nameOff = this.types.readUInt32LE(base + i * 12);
      if (nameOff !== 0) {
        out.push(this.str(nameOff));
        continue;
      }
      const inner = this.skipQualifiers(this.types.readUInt32LE(base + i * 12 + 4));
      const k = this.kind(inner);
      if (k === BtfKind.struct || k === BtfKind.union) out.push(...this.membersOf(inner));
    }
    return out;
  }

  /** Whether an enum (32 or 64 bit) has a value named `value`, e.g. bpf_func_id's BPF_FUNC_ringbuf_output. */
  hasEnumValue(enumName: string, value: string): boolean {
    const ids = [...this.find(enumName, BtfKind.enum), ...this.find(enumName, BtfKind.enum64)];
    return ids.some((id) => {
      const width = this.kind(id) === BtfKind.enum ? 8 : 12;
      const base = this.offsets[id]! + 12;
      for (let i = 0; i < this.vlen(id); i++) if (this.str(this.types.readUInt32LE(base + i * width)) === value) return true;
      return false;
    });
  }

  private skipQualifiers(id: number): number {
    let cur = id;
    for (let guard = 0; cur !== 0 && QUALIFIERS.has(this.kind(cur)) && guard < 32; guard++) cur = this.ref(cur);
    return cur;
  }

  /** A C-like spelling of a type: `int`, `uid_t`, `struct task_struct *`, `void *`. */
  typeName(id: number): string {
    if (id === 0) return 'void';
    switch (this.kind(id)) {
      case BtfKind.ptr:
        return `${this.typeName(this.ref(id))} *`;
      case BtfKind.struct:
        return `struct ${this.nameOf(id)}`;
      case BtfKind.union:
        return `union ${this.nameOf(id)}`;
      case BtfKind.enum:
      case BtfKind.enum64:
        return `enum ${this.nameOf(id)}`;
      case BtfKind.const:
        return `const ${this.typeName(this.ref(id))}`;
      case BtfKind.volatile:
      case BtfKind.restrict:
      case BtfKind.typeTag:
        return this.typeName(this.ref(id));
      case BtfKind.funcProto:
        return 'function';
      default:
        return this.nameOf(id);
    }
  }

  /**
   * The arguments a tp_btf program of tracepoint `name` receives, spelled by typeName, or
   * undefined when there is no such tracepoint. `btf_trace_<name>` is a pointer to a
   * prototype whose first parameter is the tracepoint's `void *__data`, dropped here.
   */
  tracepointArgs(name: string): string[] | undefined {
    const typedef = this.find(`btf_trace_${name}`, BtfKind.typedef)[0];
    if (typedef === undefined) return undefined;
    const ptr = this.ref(typedef);
    if (this.kind(ptr) !== BtfKind.ptr) return undefined;
    const proto = this.ref(ptr);
    if (this.kind(proto) !== BtfKind.funcProto) return undefined;
    const base = this.offsets[proto]! + 12;
    const args: string[] = [];
    for (let i = 0; i < this.vlen(proto); i++) args.push(this.typeName(this.types.readUInt32LE(base + i * 8 + 4)));
    return args.slice(1);
  }
}

const SHARE_MS = 5000;
const recent = new Map<string, KernelBtf>();

/** The bytes of an ELF64 little-endian section by name (vmlinux's .BTF). */
function elfSection(elf: Buffer, wanted: string, path: string): Buffer {
  if (elf[4] !== 2 || elf[5] !== 1) throw new BtfError('BTF_INVALID', `${path}: only 64-bit little-endian ELF files are read`);
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const header = (i: number): { name: number; offset: number; size: number } => {
    const at = shoff + i * shentsize;
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 0x18)), size: Number(elf.readBigUInt64LE(at + 0x20)) };
  };
  const names = header(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    const end = elf.indexOf(0, names.offset + h.name);
    if (elf.toString('latin1', names.offset + h.name, end) === wanted) return elf.subarray(h.offset, h.offset + h.size);
  }
  throw new BtfError('BTF_MISSING', `${path}: ELF file without a ${wanted} section (kernel built without CONFIG_DEBUG_INFO_BTF?)`);
}
