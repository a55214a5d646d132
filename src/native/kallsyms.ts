// Kernel symbolization from a /proc/kallsyms snapshot: text symbols sorted by address,
// resolved by binary search. Addresses are kept as two Uint32Arrays (high and low
// halves) instead of bigints: parsing ~120k bigints and sorting them with a comparator
// is several times slower, and the snapshot is loaded at tracer start-up.
import { readFileSync } from 'node:fs';
import { CodedError } from '../common/coded-error.js';

/** kallsyms is unreadable, or shows only zero addresses (kernel.kptr_restrict hides them). */
export class KallsymsError extends CodedError {
  constructor(code: 'KALLSYMS_UNREADABLE' | 'KALLSYMS_RESTRICTED' | 'KALLSYMS_EMPTY', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface ResolvedSymbol {
  name: string;
  /** addr - symbol start */
  offset: bigint;
  /** The module for symbols of loadable modules (`[ext4]` in kallsyms), undefined for vmlinux. */
  module?: string;
}

// Symbol types that mark code: t/T text, w/W weak (weak functions show up as W).
const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);

export class KernelSymbols {
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;
  readonly #names: string[];
  readonly #modules: Array<string | undefined>;

  private constructor(hi: Uint32Array, lo: Uint32Array, names: string[], modules: Array<string | undefined>) {
    this.#hi = hi;
    this.#lo = lo;
    this.#names = names;
    this.#modules = modules;
  }

  /** Reads and indexes a kallsyms file (default /proc/kallsyms). */
  static load(path = '/proc/kallsyms'): KernelSymbols {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (err) {
      throw new KallsymsError('KALLSYMS_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    return KernelSymbols.parse(text, path);
  }

  /** Indexes kallsyms-formatted text (`<hex addr> <type> <name>[\t[module]]` per line). */
  static parse(text: string, source = 'kallsyms'): KernelSymbols {
    const hi: number[] = [];
    const lo: number[] = [];
    const names: string[] = [];
    const modules: Array<string | undefined> = [];
    let lines = 0;
    let nonZero = false;
    let sorted = true;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      const sp1 = text.indexOf(' ', start);
      if (sp1 > start && sp1 < end && text.charCodeAt(sp1 + 2) === 32 /* ' ' */) {
        lines++;
        const type = text[sp1 + 1] ?? '';
        if (TEXT_TYPES.has(type)) {
          // Addresses are 16 hex digits on 64-bit kernels; shorter ones (32-bit) have hi = 0.
          const digits = sp1 - start;
          const h = digits > 8 ? parseInt(text.slice(start, sp1 - 8), 16) : 0;
          const l = parseInt(text.slice(Math.max(start, sp1 - 8), sp1), 16);
          if (h !== 0 || l !== 0) nonZero = true;
          // Search the tab only inside this line: indexOf on the whole text would scan
          // to the end of the file for every vmlinux symbol (quadratic).
          const rest = text.slice(sp1 + 3, end);
          const tab = rest.indexOf('\t');
          const name = tab === -1 ? rest : rest.slice(0, tab);
          const module = tab === -1 ? undefined : rest.slice(tab + 1).replace(/^\[|\]$/g, '');
          const n = hi.length;
          if (n > 0) {
            const ph = hi[n - 1] ?? 0;
            const pl = lo[n - 1] ?? 0;
            if (h < ph || (h === ph && l < pl)) sorted = false;
          }
          hi.push(h);
          lo.push(l);
          names.push(name);
          modules.push(module);
        }
      }
      start = end + 1;
    }
    if (lines === 0 || hi.length === 0) throw new KallsymsError('KALLSYMS_EMPTY', `${source} has no text symbols`);
    if (!nonZero) {
      throw new KallsymsError(
        'KALLSYMS_RESTRICTED',
        `${source} shows only zero addresses: kernel.kptr_restrict hides them (needs kptr_restrict=0, or 1 with CAP_SYSLOG)`,
      );
    }
    if (sorted) return new KernelSymbols(Uint32Array.from(hi), Uint32Array.from(lo), names, modules);

    // Module symbols follow vmlinux in kallsyms and are not globally ordered: sort an
    // index permutation (stable, so the first name listed at an address wins).
    const order = Array.from(hi.keys()).sort((a, b) => (hi[a]! - hi[b]!) || (lo[a]! - lo[b]!));
    return new KernelSymbols(
      Uint32Array.from(order, (i) => hi[i]!),
      Uint32Array.from(order, (i) => lo[i]!),
      order.map((i) => names[i]!),
      order.map((i) => modules[i]),
    );
  }

  get size(): number {
    return this.#names.length;
  }

  /** The address of the first text symbol called `name`, or undefined. Linear: for tests and set-up, not hot paths. */
  addressOf(name: string): bigint | undefined {
    const i = this.#names.indexOf(name);
    return i === -1 ? undefined : this.#address(i);
  }

  /** The text symbol containing `addr` (the last one starting at or below it), or undefined below the first. */
  resolve(addr: bigint): ResolvedSymbol | undefined {
    const h = Number((addr >> 32n) & 0xffffffffn);
    const l = Number(addr & 0xffffffffn);
    // Binary search for the last index whose address <= addr.
    let low = 0;
    let high = this.#names.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const mh = this.#hi[mid]!;
      const ml = this.#lo[mid]!;
      if (mh < h || (mh === h && ml <= l)) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found === -1) return undefined;
    // Several names can share one address (aliases): report the first listed.
    while (found > 0 && this.#hi[found - 1] === this.#hi[found] && this.#lo[found - 1] === this.#lo[found]) found--;
    const module = this.#modules[found];
    const resolved: ResolvedSymbol = { name: this.#names[found]!, offset: addr - this.#address(found) };
    if (module !== undefined) resolved.module = module;
    return resolved;
  }

  /** `read_zero+0x77`, `ext4_file_read_iter+0x10 [ext4]`, or the hex address when unknown. */
  format(addr: bigint): string {
    const sym = this.resolve(addr);
    if (sym === undefined) return `0x${addr.toString(16)}`;
    const base = `${sym.name}+0x${sym.offset.toString(16)}`;
    return sym.module === undefined ? base : `${base} [${sym.module}]`;
  }

  #address(i: number): bigint {
    return (BigInt(this.#hi[i]!) << 32n) | BigInt(this.#lo[i]!);
  }
}
