// ELF symbol tables cached per file identity (dev, inode, mtime), so a library mapped by
// every process (libc) is parsed once per pool worker, and a rebuilt binary is re-read.
import { readElfSymbols, type ElfSymbolTable } from './elf-symbols.js';
import type { FileIdentity } from './proc-maps.js';

export class ElfCache {
  readonly #limit: number;
  /** Insertion order doubles as LRU order (re-inserted on every hit). `undefined` = unreadable, remembered too. */
  readonly #tables = new Map<string, ElfSymbolTable | undefined>();
  hits = 0;
  misses = 0;

  constructor(limit = 256) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#tables.size;
  }

  /** The symbol table of `file`, or undefined when it cannot be read as ELF64 (never throws). */
  get(file: FileIdentity): ElfSymbolTable | undefined {
    if (this.#tables.has(file.cacheKey)) {
      this.hits++;
      const table = this.#tables.get(file.cacheKey);
      this.#tables.delete(file.cacheKey);
      this.#tables.set(file.cacheKey, table);
      return table;
    }
    this.misses++;
    let table: ElfSymbolTable | undefined;
    try {
      table = readElfSymbols(file.openPath);
    } catch {
      table = undefined; // not ELF, gone, or not 64-bit LE: frames show the file name instead
    }
    this.#tables.set(file.cacheKey, table);
    if (this.#tables.size > this.#limit) this.#tables.delete(this.#tables.keys().next().value!);
    return table;
  }
}
