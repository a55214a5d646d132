// The shape of the C++ addon (src/native/addon) as TypeScript sees it, and its loader.
// Only bpf-object.ts, bpf-map.ts and ring-buffer.ts talk to it; everyone else uses the
// typed wrappers in index.ts. The addon is loaded lazily so that importing this module
// (e.g. for types) never fails on a machine without a build.
import { createRequire } from 'node:module';
import { nativeAddonPath } from '../paths.js';
import { BpfError } from './errors.js';

export interface NativeProgramInfo { name: string; section: string; type: string; attached: boolean; id: number }
export interface NativeMapInfo { name: string; type: string; keySize: number; valueSize: number; maxEntries: number; id: number; perCpu: boolean }
export interface NativeProgramStats { name: string; id: number; runCount: bigint; runTimeNs: bigint }

/**
 * Rows packed back to back: keys every keySize bytes, values every rawValueSize bytes
 * (per-CPU maps: possibleCpus × round_up(valueSize, 8)). One Buffer each instead of one
 * per row keeps big reads cheap; JS slices them with subarray().
 */
export type PackedRows = [keys: Buffer, values: Buffer, count: number];

/** One BPF object, opened and loaded by the constructor. All errors carry `code`. */
export interface NativeBpfObject {
  readonly closed: boolean;
  programs(): NativeProgramInfo[];
  maps(): NativeMapInfo[];
  attach(programs: string[] | undefined): void;
  attachUprobe(program: string, binary: string, symbol: string | undefined, offset: number, pid: number, retprobe: boolean): void;
  attachPerfEvent(program: string, frequency: number, cgroupPath: string | undefined, cpus: number[] | undefined): number;
  detach(programs: string[] | undefined): void;
  /** Raw value; per-CPU maps: possibleCpus() slots of round_up(valueSize, 8) bytes. */
  mapLookup(map: string, key: Buffer): Buffer | undefined;
  mapUpdate(map: string, key: Buffer, value: Buffer, flags: number): void;
  mapDelete(map: string, key: Buffer): boolean;
  /** Keys by iteration (packed rows; `values` is empty). */
  mapKeys(map: string): PackedRows;
  /** Entries by key iteration. */
  mapEntries(map: string): PackedRows;
  /**
   * Entries by BPF_MAP_LOOKUP(_AND_DELETE)_BATCH, or key iteration where unsupported.
   * More than `maxBytes` (default 256 MiB) of rows and scratch throws BPF_MAP_READ_TOO_LARGE.
   */
  mapLookupBatch(map: string, del: boolean, batchSize: number, maxBytes?: number): PackedRows;
  /** Values of keys 0..count-1 of an array map, packed (one batch syscall). */
  mapLookupArrayPrefix(map: string, count: number): Buffer;
  ringOpen(map: string, onRecords: (records: Buffer[]) => void, periodic: boolean, periodMs: number): number;
  ringConsume(ring: number): number;
  ringDelivered(ring: number): number;
  ringClose(ring: number): void;
  programStats(): NativeProgramStats[];
  close(): void;
}

export interface NativeBpfObjectConstructor {
  new (path: string, rodata: Record<string, number | bigint | boolean | Buffer>, mapSizes: Record<string, number>, autoload: Record<string, boolean>): NativeBpfObject;
}

export interface NativeAddon {
  BpfObject: NativeBpfObjectConstructor;
  /** bpf_enable_stats(BPF_STATS_RUN_TIME): returns the fd that keeps stats on. */
  enableStats(): number;
  closeStats(fd: number): void;
  libbpfVersion(): string;
  possibleCpus(): number;
  /** Diagnostics (tests): BpfObject wrappers of this environment not yet finalized. */
  liveObjects(): number;
  /** mallopt(M_ARENA_MAX, max); false where unsupported (not glibc) or refused. */
  mallocArenaMax(max: number): boolean;
  /** malloc_trim(0) over every arena; true when memory was returned to the kernel. */
  mallocTrim(): boolean;
}

let loaded: NativeAddon | undefined;

export function nativeAddon(): NativeAddon {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)(nativeAddonPath) as NativeAddon;
    } catch (err) {
      throw new BpfError('BPF_OPEN_FAILED', `cannot load the native addon ${nativeAddonPath}: run \`npm run build\` (${(err as Error).message})`, { cause: err });
    }
  }
  return loaded;
}
