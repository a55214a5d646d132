// A loaded BPF object (one .bpf.o): programs, maps, links, ring buffers. The native side
// pins itself against GC while anything is attached or a ring buffer is open, and frees
// everything at close() or when its environment (main thread or worker) tears down.
import { existsSync } from 'node:fs';
import { bpfObjectPath } from '../paths.js';
import { BpfMap } from './bpf-map.js';
import { BpfError, native } from './errors.js';
import { nativeAddon, type NativeBpfObject } from './native-binding.js';
import { NativeRingBuffer, type RingBuffer, type RingBufferOptions } from './ring-buffer.js';

export interface BpfOpenOptions {
  /** `const volatile` globals in .rodata by name, set before load. Unknown name -> BPF_RODATA_NOT_FOUND; size mismatch -> BPF_INVALID_ARGUMENT. */
  rodata?: Record<string, number | bigint | boolean | Buffer>;
  /** max_entries per map name, set before load. */
  mapSizes?: Record<string, number>;
  /** Whether to load each named program (overrides SEC("?...")), before load. */
  autoload?: Record<string, boolean>;
}

export interface ProgramInfo { name: string; section: string; type: string; attached: boolean; id: number }
export interface MapInfo { name: string; type: string; keySize: number; valueSize: number; maxEntries: number; id: number; perCpu: boolean }
export interface ProgramStats { name: string; id: number; runCount: bigint; runTimeNs: bigint }
/** A uprobe: `symbol` (resolved by libbpf in `binary`) and/or `offset`; pid -1 (default) = every process. */
export interface UprobeTarget { binary: string; symbol?: string; offset?: number; pid?: number; retprobe?: boolean }
/** PERF_TYPE_SOFTWARE/CPU_CLOCK sampling at `frequency` Hz, one event per online CPU (or `cpus`); cgroupPath = a cgroup v2 dir -> PERF_FLAG_PID_CGROUP. */
export interface PerfEventOptions { frequency: number; cgroupPath?: string; cpus?: number[] }

const toList = (programs: string | string[] | undefined): string[] | undefined =>
  programs === undefined ? undefined : Array.isArray(programs) ? programs : [programs];

export class BpfObject {
  readonly path: string;
  readonly #native: NativeBpfObject;
  readonly #possibleCpus: number;

  private constructor(path: string, handle: NativeBpfObject) {
    this.path = path;
    this.#native = handle;
    this.#possibleCpus = nativeAddon().possibleCpus();
  }

  /** Opens `path`, applies the knobs and loads it into the kernel. */
  static open(path: string, options: BpfOpenOptions = {}): BpfObject {
    const addon = native(() => nativeAddon());
    const handle = native(() => new addon.BpfObject(path, options.rodata ?? {}, options.mapSizes ?? {}, options.autoload ?? {}));
    return new BpfObject(path, handle);
  }

  /** Opens build/bpf/<name>.bpf.o, as compiled by `npm run build`. */
  static openBuilt(name: string, options: BpfOpenOptions = {}): BpfObject {
    const path = bpfObjectPath(name);
    if (!existsSync(path)) {
      throw new BpfError('BPF_OPEN_FAILED', `BPF object ${path} does not exist: run \`npm run build\` (compiles src/native/bpf/${name}.bpf.c)`, { errno: 2 });
    }
    return BpfObject.open(path, options);
  }

  get closed(): boolean {
    return this.#native.closed;
  }

  programs(): ProgramInfo[] {
    return native(() => this.#native.programs());
  }

  maps(): MapInfo[] {
    return native(() => this.#native.maps());
  }

  /** bpf_program__attach (from SEC: tp_btf, raw_tp, tracepoint, fully-specified uprobe) for every autoloaded program, or the named ones. Already attached programs are left alone. */
  attach(programs?: string | string[]): void {
    native(() => this.#native.attach(toList(programs)));
  }

  attachUprobe(program: string, target: UprobeTarget): void {
    native(() => this.#native.attachUprobe(program, target.binary, target.symbol, target.offset ?? 0, target.pid ?? -1, target.retprobe ?? false));
  }

  /** Returns the number of CPUs attached. */
  attachPerfEvent(program: string, options: PerfEventOptions): number {
    return native(() => this.#native.attachPerfEvent(program, options.frequency, options.cgroupPath, options.cpus));
  }

  /** Destroys the links of every program, or of the named ones. */
  detach(programs?: string | string[]): void {
    native(() => this.#native.detach(toList(programs)));
  }

  map(name: string): BpfMap {
    const info = this.maps().find((m) => m.name === name);
    if (info === undefined) throw new BpfError('BPF_MAP_NOT_FOUND', `BPF object ${this.path} has no map named '${name}'`);
    return new BpfMap(this.#native, info, this.#possibleCpus);
  }

  /** Starts delivering `mapName`'s records to `onRecords`, one call per consumed batch. An exception in onRecords becomes an uncaught exception of this thread. */
  openRingBuffer(mapName: string, onRecords: (records: Buffer[]) => void, options: RingBufferOptions = {}): RingBuffer {
    const mode = options.mode ?? 'poll';
    if (mode !== 'poll' && mode !== 'periodic') throw new BpfError('BPF_INVALID_ARGUMENT', `ring buffer mode must be 'poll' or 'periodic', got '${String(mode)}'`);
    const periodMs = options.periodMs ?? 20;
    if (!Number.isFinite(periodMs) || periodMs < 1) throw new BpfError('BPF_INVALID_ARGUMENT', `periodMs must be >= 1, got ${periodMs}`);
    if (typeof onRecords !== 'function') throw new BpfError('BPF_INVALID_ARGUMENT', 'onRecords must be a function');
    const id = native(() => this.#native.ringOpen(mapName, onRecords, mode === 'periodic', Math.round(periodMs)));
    const dropsMap = this.maps().find((m) => m.name === `${mapName}_drops`);
    const readDrops = (): number => {
      if (dropsMap === undefined || this.closed) return 0;
      const drops = new BpfMap(this.#native, dropsMap, this.#possibleCpus);
      const key = Buffer.alloc(drops.keySize);
      const values = drops.perCpu ? drops.lookupPerCpu(key) ?? [] : [drops.lookup(key) ?? Buffer.alloc(8)];
      return values.reduce((sum, v) => sum + (v.length >= 8 ? Number(v.readBigUInt64LE(0)) : 0), 0);
    };
    return new NativeRingBuffer(this.#native, id, readDrops);
  }

  /** run_cnt / run_time_ns per loaded program (non-zero only while enableBpfStats() is on). */
  programStats(): ProgramStats[] {
    return native(() => this.#native.programStats());
  }

  /** Idempotent: closes ring buffers, destroys links, closes the object. */
  close(): void {
    native(() => this.#native.close());
  }
}

/** bpf_enable_stats(BPF_STATS_RUN_TIME): run_cnt/run_time_ns count while the returned handle is open. */
export function enableBpfStats(): { close(): void } {
  const addon = native(() => nativeAddon());
  const fd = native(() => addon.enableStats());
  let open = true;
  return {
    close(): void {
      if (!open) return;
      open = false;
      native(() => addon.closeStats(fd));
    },
  };
}

export function libbpfVersion(): string {
  return native(() => nativeAddon().libbpfVersion());
}
