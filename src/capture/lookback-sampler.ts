// The owner of the look-back: opens lookback.bpf.o at a low rate on every CPU. The program
// aggregates in the kernel (each distinct stack stored once in `stacks`, samples counted per
// (stack, 1 s bucket) in `counts`), so the steady work here is one batched read of `counts`
// every few seconds — a few numbers per distinct stack and second, no record per sample —
// and the deletion of stacks that left the window. Stacks are copied out of the kernel only
// when a slice is asked for (a trigger).
import { BpfObject, type BpfMap } from '../native/index.js';
import {
  LOOKBACK_BUCKET_NS,
  LOOKBACK_COUNTS_MAP,
  LOOKBACK_OBJECT,
  LOOKBACK_PROGRAM,
  LOOKBACK_STAT,
  LOOKBACK_STATS_MAP,
  LOOKBACK_STACKS_MAP,
  decodeLookbackSampleRaw,
  lookbackSampleLayout,
  readU53,
  stackHashKey,
  type RawLookbackRecord,
} from '../native/bpf/lookback.js';
import { onlineCpuCount } from '../containers/cgroup-files.js';
import { CaptureError } from './errors.js';
import { LookbackWindow, type LookbackSlice, type LookbackWindowStats, type StackStore } from './lookback-window.js';

export const DEFAULT_LOOKBACK_FREQUENCY_HZ = 19;
export const DEFAULT_LOOKBACK_SECONDS = 30;
export const DEFAULT_LOOKBACK_DRAIN_MS = 5000;
const BUCKET_MS = 1000;

export interface LookbackSamplerOptions {
  /** Hz per CPU; default 19 (not a multiple of common timer rates). */
  frequency?: number;
  /** History kept; default 30 s. */
  retentionSeconds?: number;
  /** Period of the `counts` reads; default 5000 ms (a slice reads it first, so nothing is missed). */
  drainMs?: number;
  /** Most distinct stacks kept (the BPF `stacks` map's max_entries); default 8192. */
  maxStacks?: number;
  cpus?: number[];
}

export interface LookbackSamplerStats extends LookbackWindowStats {
  frequency: number;
  retentionSeconds: number;
  /** Samples counted since start (read from `counts`). */
  received: number;
  /** Samples lost: `counts` full between two drains. */
  dropped: number;
  /** max_entries of `counts` (rows between two drains). */
  countsEntries: number;
  /** Rows read from `counts` since start: one per (stack, second) seen, not one per sample. */
  rowsRead: number;
  /** Samples the BPF program took since start (its own counter): received + dropped, but for the samples since the last drain. */
  taken: number;
  /** The last periodic read failed (a slice reads again and throws the error to its caller). */
  drainError?: string;
}

/**
 * Rows `counts` needs between two drains: at worst one per sample (every stack distinct),
 * twice over, as a power of two of at least 1024.
 */
export function lookbackCountsEntries(cpus: number, frequency: number, drainMs: number): number {
  const want = (cpus * frequency * drainMs * 2) / 1000;
  return Math.max(1024, 2 ** Math.ceil(Math.log2(want)));
}

/** The BPF `stacks` map as the window's store: read at slice time, entries deleted when the window forgets them. */
class BpfStackStore implements StackStore {
  constructor(private readonly stacks: BpfMap) {}

  read(ids: ReadonlySet<number>): Map<number, RawLookbackRecord> {
    const out = new Map<number, RawLookbackRecord>();
    // One batched read of the whole map (≤ maxStacks × ~1 KB) beats a syscall per stack.
    for (const { key, value } of this.stacks.lookupBatch({ batchSize: 1024 })) {
      const id = readU53(key, 0);
      if (ids.has(id)) out.set(id, decodeLookbackSampleRaw(value));
    }
    return out;
  }

  forget(id: number): void {
    this.stacks.delete(stackHashKey(id));
  }

  approxBytes(stacks: number): number {
    return stacks * (lookbackSampleLayout.size + 64 /* hash element overhead */);
  }
}

export class LookbackSampler {
  readonly frequency: number;
  readonly retentionSeconds: number;
  readonly countsEntries: number;
  readonly #object: BpfObject;
  readonly #counts: BpfMap;
  readonly #stats: BpfMap;
  readonly #window: LookbackWindow;
  readonly #timer: NodeJS.Timeout;
  /** Epoch ms minus CLOCK_MONOTONIC ms (bpf_ktime_get_ns and process.hrtime share that clock). */
  #offsetMs: number;
  #received = 0;
  #rowsRead = 0;
  #drainError: string | undefined;
  #closed = false;

  private constructor(object: BpfObject, frequency: number, retentionSeconds: number, countsEntries: number, maxStacks: number, drainMs: number) {
    this.#object = object;
    this.frequency = frequency;
    this.retentionSeconds = retentionSeconds;
    this.countsEntries = countsEntries;
    this.#counts = object.map(LOOKBACK_COUNTS_MAP);
    this.#stats = object.map(LOOKBACK_STATS_MAP);
    this.#offsetMs = monotonicOffsetMs();
    this.#window = new LookbackWindow({ retentionMs: retentionSeconds * 1000, bucketMs: BUCKET_MS, maxStacks, store: new BpfStackStore(object.map(LOOKBACK_STACKS_MAP)) });
    // unref: the sampler never keeps the process alive on its own.
    this.#timer = setInterval(() => this.#drainQuietly(), drainMs).unref();
  }

  /** Opens and attaches the sampler. Throws CAPTURE_INVALID_OPTIONS / CAPTURE_ATTACH_FAILED. */
  static start(options: LookbackSamplerOptions = {}): LookbackSampler {
    const frequency = options.frequency ?? DEFAULT_LOOKBACK_FREQUENCY_HZ;
    const retentionSeconds = options.retentionSeconds ?? DEFAULT_LOOKBACK_SECONDS;
    const drainMs = options.drainMs ?? DEFAULT_LOOKBACK_DRAIN_MS;
    const maxStacks = options.maxStacks ?? 8192;
    for (const [name, v] of [['frequency', frequency], ['retentionSeconds', retentionSeconds], ['drainMs', drainMs], ['maxStacks', maxStacks]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new CaptureError('CAPTURE_INVALID_OPTIONS', `look-back ${name} must be a positive integer, got ${String(v)}`);
    }
    const countsEntries = lookbackCountsEntries(options.cpus?.length ?? onlineCpuCount(), frequency, drainMs);
    let object: BpfObject | undefined;
    try {
      object = BpfObject.openBuilt(LOOKBACK_OBJECT, {
        rodata: { [LOOKBACK_BUCKET_NS]: BigInt(BUCKET_MS) * 1_000_000n },
        mapSizes: { [LOOKBACK_COUNTS_MAP]: countsEntries, [LOOKBACK_STACKS_MAP]: maxStacks },
      });
      object.attachPerfEvent(LOOKBACK_PROGRAM, { frequency, ...(options.cpus === undefined ? {} : { cpus: options.cpus }) });
      return new LookbackSampler(object, frequency, retentionSeconds, countsEntries, maxStacks, drainMs);
    } catch (err) {
      object?.close();
      throw new CaptureError('CAPTURE_ATTACH_FAILED', `cannot start the look-back sampler: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The samples of [fromMs, toMs) (reads the counts first, so the last seconds are included). */
  slice(fromMs: number, toMs: number, cgroupId?: string): LookbackSlice {
    this.#drain();
    return this.#window.slice(fromMs, toMs, this.frequency, cgroupId);
  }

  stats(): LookbackSamplerStats {
    return {
      ...this.#window.stats(),
      overflowTotal: this.#stat(LOOKBACK_STAT.stacksFull),
      frequency: this.frequency,
      retentionSeconds: this.retentionSeconds,
      received: this.#received,
      dropped: this.#stat(LOOKBACK_STAT.countsFull),
      countsEntries: this.countsEntries,
      rowsRead: this.#rowsRead,
      taken: this.#stat(LOOKBACK_STAT.samples),
      ...(this.#drainError === undefined ? {} : { drainError: this.#drainError }),
    };
  }

  /** The program's invocations and kernel run time (counted only while bpf_enable_stats is held). */
  bpfRunTime(): { runs: number; ns: number } {
    const p = this.#closed ? undefined : this.#object.programStats().find((s) => s.name === LOOKBACK_PROGRAM);
    return { runs: Number(p?.runCount ?? 0n), ns: Number(p?.runTimeNs ?? 0n) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#object.close();
  }

  /** A per-CPU counter of the program, summed. */
  #stat(slot: number): number {
    if (this.#closed) return 0;
    const key = Buffer.alloc(4);
    key.writeUInt32LE(slot);
    return (this.#stats.lookupPerCpu(key) ?? []).reduce((n, v) => n + readU53(v, 0), 0);
  }

  /** The timer's drain: a failed map read must not become the main thread's uncaught exception. */
  #drainQuietly(): void {
    try {
      this.#drain();
      this.#drainError = undefined;
    } catch (err) {
      this.#drainError = (err as Error).message;
    }
  }

  #drain(): void {
    if (this.#closed) return;
    // A clock step (settimeofday) moves epoch against monotonic: follow it, but not the
    // sub-millisecond jitter of reading two clocks, so a bucket keeps one start time.
    const offset = monotonicOffsetMs();
    if (Math.abs(offset - this.#offsetMs) > 500) this.#offsetMs = offset;
    // Read and delete in one batch: samples that land between the read and the delete of
    // their row are lost (microseconds per drain; the row of the current bucket only).
    for (const { key, value } of this.#counts.lookupBatch({ delete: true, batchSize: 1024 })) {
      const n = readU53(value, 0);
      this.#window.addCount(readU53(key, 0), readU53(key, 8) * BUCKET_MS + this.#offsetMs, n);
      this.#received += n;
      this.#rowsRead++;
    }
    this.#window.prune(Date.now());
  }
}

function monotonicOffsetMs(): number {
  return Math.round(Date.now() - Number(process.hrtime.bigint()) / 1e6);
}
