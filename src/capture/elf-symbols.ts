// A small ELF64 (little-endian) function-symbol reader: PT_LOAD program headers and the
// STT_FUNC symbols of .symtab (else .dynsym). It reads only the headers and the two
// tables it needs through positioned reads, so a 100 MB binary costs its symbol table,
// not its size. Enough to turn a user-space instruction pointer into a function name.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The most one table (symbols or strings) may claim. The largest real .symtab seen in
 * distribution binaries is tens of MB; a bigger claim is a hostile or corrupt file.
 */
export const ELF_MAX_TABLE_BYTES = 256 * 1024 * 1024;
import { ElfError } from './errors.js';

const ELF_MAGIC = 0x464c457f; // "\x7fELF" read as a little-endian u32
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10; // glibc's memcpy, strlen, ... are indirect functions
const SHN_UNDEF = 0;
const SYM_SIZE = 24; // Elf64_Sym

export const ET_EXEC = 2;
export const ET_DYN = 3;

export interface LoadSegment {
  /** p_offset: where the segment starts in the file */
  offset: number;
  /** p_vaddr: where it is linked to live (0-based for PIE and shared objects) */
  vaddr: number;
  filesz: number;
  memsz: number;
  /** p_flags: PF_X = 1, PF_W = 2, PF_R = 4 */
  flags: number;
}

export interface ElfFunction {
  name: string;
  /** st_value: link-time virtual address */
  value: number;
  /** st_size: 0 when the symbol has no size (hand-written assembly) */
  size: number;
}

export interface ElfSymbolTable {
  /** e_type: ET_EXEC (fixed address) or ET_DYN (PIE executable or shared object) */
  type: number;
  loads: LoadSegment[];
  /** Which table the functions came from. */
  source: '.symtab' | '.dynsym' | 'none';
  /** Sorted by value; aliases at one address collapsed to the first (global before local). */
  functions: ElfFunction[];
}

/** Reads `length` bytes at `position`; throws ELF_INVALID when the file is shorter. */
function readAt(fd: number, position: number, length: number, path: string): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new ElfError('ELF_INVALID', `${path}: truncated (wanted ${length} bytes at ${position})`);
    done += n;
  }
  return buf;
}

/** A u64 field as a Number: addresses and sizes in real binaries stay far below 2^53. */
const u64 = (buf: Buffer, offset: number): number => Number(buf.readBigUInt64LE(offset));

interface SectionHeader {
  name: number;
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ReadElfOptions {
  /** Read only this table (tests, tools); default .symtab when it has functions, else .dynsym. */
  only?: '.symtab' | '.dynsym';
}

/** Parses the ELF at `path`. Throws ElfError (ELF_UNREADABLE / ELF_INVALID / ELF_UNSUPPORTED). */
export function readElfSymbols(path: string, options: ReadElfOptions = {}): ElfSymbolTable {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ElfError('ELF_UNREADABLE', `${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseElf(fd, path, options);
  } catch (err) {
    if (err instanceof ElfError) throw err;
    throw new ElfError('ELF_UNREADABLE', `${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes a table may occupy: what the file really stores. A sparse file (`truncate -s
 * 4G`, e.g. supplied by a container) has an apparent size of GBs and almost no blocks;
 * its headers could claim a 4 GB .symtab within that size, and we would allocate it.
 */
function storedBytes(size: number, blocks: number): number {
  return Math.min(size, blocks * 512);
}

function parseElf(fd: number, path: string, options: ReadElfOptions): ElfSymbolTable {
  const st = fstatSync(fd);
  const fileSize = st.size;
  const tableLimit = Math.min(ELF_MAX_TABLE_BYTES, storedBytes(st.size, st.blocks));
  if (fileSize < 64) throw new ElfError('ELF_INVALID', `${path}: ${fileSize} bytes is too short for an ELF header`);
  const eh = readAt(fd, 0, 64, path);
  if (eh.readUInt32LE(0) !== ELF_MAGIC) throw new ElfError('ELF_INVALID', `${path}: not an ELF file`);
  if (eh[4] !== ELFCLASS64) throw new ElfError('ELF_UNSUPPORTED', `${path}: not a 64-bit ELF (class ${eh[4]})`);
  if (eh[5] !== ELFDATA2LSB) throw new ElfError('ELF_UNSUPPORTED', `${path}: not little-endian (data ${eh[5]})`);
  const type = eh.readUInt16LE(16);
  const phoff = u64(eh, 32);
  const shoff = u64(eh, 40);
  const phentsize = eh.readUInt16LE(54);
  const phnum = eh.readUInt16LE(56);
  const shentsize = eh.readUInt16LE(58);
  const shnum = eh.readUInt16LE(60);

  const inFile = (offset: number, size: number): boolean => offset >= 0 && size >= 0 && offset + size <= fileSize;

  const loads: LoadSegment[] = [];
  if (phnum > 0) {
    // u16 x u16: up to 4 GB claimed by 4 bytes of header.
    if (phnum * phentsize > tableLimit) throw new ElfError('ELF_INVALID', `${path}: program headers claim ${phnum * phentsize} bytes, more than the file stores`);
    if (phentsize < 56 || !inFile(phoff, phnum * phentsize)) throw new ElfError('ELF_INVALID', `${path}: program headers out of bounds`);
    const ph = readAt(fd, phoff, phnum * phentsize, path);
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      if (ph.readUInt32LE(o) !== PT_LOAD) continue;
      loads.push({ flags: ph.readUInt32LE(o + 4), offset: u64(ph, o + 8), vaddr: u64(ph, o + 16), filesz: u64(ph, o + 32), memsz: u64(ph, o + 40) });
    }
  }

  const sections: SectionHeader[] = [];
  if (shnum > 0 && shoff > 0) {
    if (shnum * shentsize > tableLimit) throw new ElfError('ELF_INVALID', `${path}: section headers claim ${shnum * shentsize} bytes, more than the file stores`);
    if (shentsize < 64 || !inFile(shoff, shnum * shentsize)) throw new ElfError('ELF_INVALID', `${path}: section headers out of bounds`);
    const sh = readAt(fd, shoff, shnum * shentsize, path);
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      sections.push({
        name: sh.readUInt32LE(o),
        type: sh.readUInt32LE(o + 4),
        offset: u64(sh, o + 24),
        size: u64(sh, o + 32),
        link: sh.readUInt32LE(o + 40),
        entsize: u64(sh, o + 56),
      });
    }
  }

  // .symtab has every function (also static ones) when the file is not stripped;
  // .dynsym only the exported ones. Use .symtab when it has functions, else .dynsym.
  for (const [sectionType, source] of [[SHT_SYMTAB, '.symtab'], [SHT_DYNSYM, '.dynsym']] as const) {
    if (options.only !== undefined && options.only !== source) continue;
    const table = sections.find((s) => s.type === sectionType);
    if (table === undefined) continue;
    const functions = readFunctions(fd, path, table, sections[table.link], inFile, tableLimit);
    if (functions.length > 0) return { type, loads, source, functions };
  }
  return { type, loads, source: 'none', functions: [] };
}

function readFunctions(
  fd: number,
  path: string,
  table: SectionHeader,
  strtab: SectionHeader | undefined,
  inFile: (offset: number, size: number) => boolean,
  tableLimit: number,
): ElfFunction[] {
  if (strtab === undefined) throw new ElfError('ELF_INVALID', `${path}: symbol table links to a missing string table`);
  if (!inFile(table.offset, table.size) || !inFile(strtab.offset, strtab.size)) {
    throw new ElfError('ELF_INVALID', `${path}: symbol or string table out of bounds`);
  }
  // Checked before any allocation: the two buffers below are the reader's only large ones.
  if (table.size + strtab.size > tableLimit) {
    throw new ElfError('ELF_INVALID', `${path}: symbol tables claim ${table.size + strtab.size} bytes, more than the ${tableLimit} bytes the file stores`);
  }
  const entsize = table.entsize || SYM_SIZE;
  if (entsize < SYM_SIZE) throw new ElfError('ELF_INVALID', `${path}: symbol entry size ${entsize} < ${SYM_SIZE}`);
  const syms = readAt(fd, table.offset, table.size, path);
  const strings = readAt(fd, strtab.offset, strtab.size, path);
  const found: Array<ElfFunction & { global: boolean }> = [];
  for (let o = 0; o + SYM_SIZE <= syms.length; o += entsize) {
    const info = syms[o + 4]!;
    const kind = info & 0xf;
    if (kind !== STT_FUNC && kind !== STT_GNU_IFUNC) continue;
    if (syms.readUInt16LE(o + 6) === SHN_UNDEF) continue; // imported, defined elsewhere
    const value = u64(syms, o + 8);
    if (value === 0) continue;
    const nameOffset = syms.readUInt32LE(o);
    let end = strings.indexOf(0, nameOffset);
    if (end === -1) end = strings.length;
    const name = strings.toString('latin1', nameOffset, end);
    if (name === '') continue;
    found.push({ name, value, size: u64(syms, o + 16), global: info >> 4 !== 0 /* STB_LOCAL = 0 */ });
  }
  // Aliases share an address (e.g. __getppid / getppid): keep one, preferring a sized
  // global symbol, then the shorter name (public names are usually the short ones).
  found.sort((a, b) => a.value - b.value || Number(b.size > 0) - Number(a.size > 0) || Number(b.global) - Number(a.global) || a.name.length - b.name.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const functions: ElfFunction[] = [];
  for (const f of found) {
    if (functions.length > 0 && functions[functions.length - 1]!.value === f.value) continue;
    functions.push({ name: f.name, value: f.value, size: f.size });
  }
  return functions;
}

/** The link-time virtual address of a file offset, through the PT_LOAD segment containing it. */
export function fileOffsetToVaddr(table: ElfSymbolTable, fileOffset: number): number | undefined {
  for (const seg of table.loads) {
    if (fileOffset >= seg.offset && fileOffset < seg.offset + Math.max(seg.filesz, 1)) return fileOffset - seg.offset + seg.vaddr;
  }
  return undefined;
}

/**
 * The function containing link-time address `vaddr`: the last one starting at or below it,
 * when `vaddr` is inside its size. A symbol without a size (hand-written assembly) claims
 * everything up to the next symbol: there is nothing better to say about that range.
 */
export function findFunction(table: ElfSymbolTable, vaddr: number): ElfFunction | undefined {
  const fns = table.functions;
  let low = 0;
  let high = fns.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (fns[mid]!.value <= vaddr) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  if (found === -1) return undefined;
  const fn = fns[found]!;
  if (fn.size > 0 && vaddr >= fn.value + fn.size) return undefined;
  return fn;
}
