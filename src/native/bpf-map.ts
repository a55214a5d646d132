// Typed access to one map of a loaded BpfObject. Keys and values are raw Buffers laid
// out as the BPF side declares them (see the tracer's .h file); per-CPU maps hold one
// value per *possible* CPU, each slot 8-byte aligned in the kernel's view.
import { BpfError, native } from './errors.js';
import type { NativeBpfObject, NativeMapInfo, PackedRows } from './native-binding.js';

export type MapUpdateFlag = 'any' | 'noexist' | 'exist';
const updateFlags: Record<MapUpdateFlag, number> = { any: 0, noexist: 1, exist: 2 }; // BPF_ANY, BPF_NOEXIST, BPF_EXIST

export class BpfMap {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly perCpu: boolean;
  /** Bytes per CPU slot in a per-CPU value: valueSize rounded up to 8. */
  readonly #stride: number;

  /** @internal Created by BpfObject.map(). */
  constructor(
    private readonly object: NativeBpfObject,
    info: NativeMapInfo,
    private readonly possibleCpus: number,
  ) {
    this.name = info.name;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.perCpu = info.perCpu;
    this.#stride = Math.ceil(info.valueSize / 8) * 8;
  }

  /** The value for `key` of a non-per-CPU map, undefined when absent. */
  lookup(key: Buffer): Buffer | undefined {
    this.#requirePerCpu(false, 'lookup');
    return native(() => this.object.mapLookup(this.name, key));
  }

  /** One value per possible CPU (libbpf_num_possible_cpus), undefined when absent. */
  lookupPerCpu(key: Buffer): Buffer[] | undefined {
    this.#requirePerCpu(true, 'lookupPerCpu');
    const raw = native(() => this.object.mapLookup(this.name, key));
    return raw === undefined ? undefined : this.#splitPerCpu(raw);
  }

  /**
   * Writes `value` under `key`. For per-CPU maps pass one Buffer per possible CPU, or a
   * single valueSize Buffer to write the same value on every CPU.
   */
  update(key: Buffer, value: Buffer | Buffer[], flags: MapUpdateFlag = 'any'): void {
    const flag = updateFlags[flags];
    if (flag === undefined) throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name}: unknown update flag '${String(flags)}'`);
    const raw = this.perCpu ? this.#joinPerCpu(value) : this.#single(value);
    native(() => this.object.mapUpdate(this.name, key, raw, flag));
  }

  /** Deletes `key`; false when it was absent. */
  delete(key: Buffer): boolean {
    return native(() => this.object.mapDelete(this.name, key));
  }

  keys(): Buffer[] {
    const [keys, , count] = native(() => this.object.mapKeys(this.name));
    return Array.from({ length: count }, (_, i) => keys.subarray(i * this.keySize, (i + 1) * this.keySize));
  }

  entries(): Array<{ key: Buffer; value: Buffer }> {
    this.#requirePerCpu(false, 'entries');
    return this.#unpack(native(() => this.object.mapEntries(this.name)));
  }

  entriesPerCpu(): Array<{ key: Buffer; values: Buffer[] }> {
    this.#requirePerCpu(true, 'entriesPerCpu');
    return this.#unpack(native(() => this.object.mapEntries(this.name))).map(({ key, value }) => ({ key, values: this.#splitPerCpu(value) }));
  }

  /**
   * Reads (and with `delete`, drains) the map in batches of `batchSize` (default 256)
   * through BPF_MAP_LOOKUP(_AND_DELETE)_BATCH, falling back to key iteration where the
   * map type has no batch ops. Per-CPU maps: `value` is every CPU slot concatenated
   * (possibleCpus × round_up(valueSize, 8) bytes). A read that would hold more than
   * `maxBytes` (default 256 MiB, keys + values + one batch of scratch) throws
   * BPF_MAP_READ_TOO_LARGE; when draining, the rows already deleted are lost with it.
   */
  lookupBatch(options: { delete?: boolean; batchSize?: number; maxBytes?: number } = {}): Array<{ key: Buffer; value: Buffer }> {
    const batchSize = options.batchSize ?? 256;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name}: batchSize must be a positive integer, got ${batchSize}`);
    }
    const maxBytes = options.maxBytes;
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 1)) {
      throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name}: maxBytes must be a positive integer, got ${maxBytes}`);
    }
    return this.#unpack(native(() => this.object.mapLookupBatch(this.name, options.delete === true, batchSize, maxBytes)));
  }

  /**
   * The values of keys 0..count-1 of an array (or per-CPU array) map in one
   * BPF_MAP_LOOKUP_BATCH: one Buffer, value of key i at i × rowBytes. Per-CPU: a row is
   * every CPU slot concatenated, `perCpuStride` bytes each. For readers of a densely used
   * array (one syscall instead of one lookup per key).
   */
  lookupArrayPrefix(count: number): { values: Buffer; rowBytes: number } {
    if (!Number.isInteger(count) || count < 0 || count > this.maxEntries) {
      throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name}: count must be an integer in 0..${this.maxEntries}, got ${count}`);
    }
    const values = native(() => this.object.mapLookupArrayPrefix(this.name, count));
    return { values, rowBytes: this.perCpu ? this.possibleCpus * this.#stride : this.valueSize };
  }

  /** Bytes per CPU slot in a per-CPU value (valueSize rounded up to 8). */
  get perCpuStride(): number {
    return this.#stride;
  }

  /** The instruction pointers of stack `id` in a BPF_MAP_TYPE_STACK_TRACE map, up to the first 0; [] when the id is absent. */
  stackTrace(id: number): bigint[] {
    if (this.type !== 'stack_trace') throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name} is a ${this.type} map, not stack_trace`);
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name}: stack id must be a u32, got ${id}`);
    const key = Buffer.alloc(4);
    key.writeUInt32LE(id);
    const raw = native(() => this.object.mapLookup(this.name, key));
    if (raw === undefined) return [];
    const ips: bigint[] = [];
    for (let offset = 0; offset + 8 <= raw.length; offset += 8) {
      const ip = raw.readBigUInt64LE(offset);
      if (ip === 0n) break;
      ips.push(ip);
    }
    return ips;
  }

  /** Rows as views into the two packed Buffers (no copies). */
  #unpack([keys, values, count]: PackedRows): Array<{ key: Buffer; value: Buffer }> {
    const valueBytes = this.perCpu ? this.possibleCpus * this.#stride : this.valueSize;
    const rows: Array<{ key: Buffer; value: Buffer }> = new Array(count);
    for (let i = 0; i < count; i++) {
      rows[i] = {
        key: keys.subarray(i * this.keySize, (i + 1) * this.keySize),
        value: values.subarray(i * valueBytes, (i + 1) * valueBytes),
      };
    }
    return rows;
  }

  #requirePerCpu(wanted: boolean, method: string): void {
    if (this.object.closed) return; // let the native call report BPF_OBJECT_CLOSED
    if (this.perCpu !== wanted) {
      const other = wanted ? method.replace(/PerCpu$/, '') : `${method}PerCpu`;
      throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name} is ${this.perCpu ? '' : 'not '}per-CPU (${this.type}): use ${other}()`);
    }
  }

  #splitPerCpu(raw: Buffer): Buffer[] {
    const values: Buffer[] = [];
    for (let cpu = 0; cpu < this.possibleCpus; cpu++) {
      values.push(raw.subarray(cpu * this.#stride, cpu * this.#stride + this.valueSize));
    }
    return values;
  }

  #single(value: Buffer | Buffer[]): Buffer {
    if (Array.isArray(value)) throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name} is not per-CPU: pass one Buffer`);
    return value;
  }

  #joinPerCpu(value: Buffer | Buffer[]): Buffer {
    const values = Array.isArray(value) ? value : Array.from({ length: this.possibleCpus }, () => value);
    if (values.length !== this.possibleCpus) {
      throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name}: expected ${this.possibleCpus} per-CPU values (possible CPUs), got ${values.length}`);
    }
    const raw = Buffer.alloc(this.possibleCpus * this.#stride);
    values.forEach((v, cpu) => {
      if (v.length !== this.valueSize) {
        throw new BpfError('BPF_INVALID_ARGUMENT', `map ${this.name}: value for CPU ${cpu} has ${v.length} bytes, the map wants ${this.valueSize}`);
      }
      v.copy(raw, cpu * this.#stride);
    });
    return raw;
  }
}
