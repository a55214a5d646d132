// The in-process look-back window: the last N seconds of low-rate host-wide stack samples,
// as counts per 1 s bucket by stack id. The stacks themselves live in a StackStore: in the
// sampler, the BPF `stacks` map (the kernel stores each distinct stack once and counts the
// samples; this side only keeps numbers); for records added one by one (tests, tools), an
// in-memory store bounded to `maxStacks`. A bucket older than the retention is dropped, and
// a stack no bucket uses any more is forgotten by its store.
// Pure (no BPF, no /proc): the sampler feeds it, tests drive it directly.
import type { LookbackRecord, RawLookbackRecord } from '../native/bpf/lookback.js';

/** Where the window's stacks are kept, by numeric id. */
export interface StackStore {
  /** The stored stacks among `ids` (one read per slice); an id missing from the result was not kept. */
  read(ids: ReadonlySet<number>): Map<number, RawLookbackRecord>;
  /** No bucket of the window uses `id` any more. */
  forget(id: number): void;
  /** Rough bytes held for `stacks` stored stacks. */
  approxBytes(stacks: number): number;
}

function framesBuffer(ips: readonly (bigint | number)[]): Buffer {
  const b = Buffer.allocUnsafe(ips.length * 8);
  ips.forEach((ip, i) => b.writeBigUInt64LE(BigInt(ip), i * 8));
  return b;
}

function hexFrames(b: Buffer): string[] {
  const out: string[] = new Array(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = b.readBigUInt64LE(i * 8).toString(16);
  return out;
}

function numberFrames(b: Buffer): number[] {
  const out: number[] = new Array(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = Number(b.readBigUInt64LE(i * 8));
  return out;
}

/** Stacks interned in this process by their identity (for LookbackWindow.add). */
class MemoryStackStore implements StackStore {
  readonly #ids = new Map<string, number>();
  readonly #records = new Map<number, RawLookbackRecord & { key: string }>();
  #next = 1;
  #frames = 0;

  constructor(private readonly maxStacks: number) {}

  /** The id of the record's stack, interning it; undefined when the bound is reached. */
  intern(record: LookbackRecord): number | undefined {
    const key = `${record.cgroupId}\u0000${record.tgid}\u0000${record.comm}\u0000${record.kernelLost ? 'L' : record.kernel.join(',')}\u0000${record.userLost ? 'L' : record.user.join(',')}`;
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    if (this.#records.size >= this.maxStacks) return undefined;
    const id = this.#next++;
    const raw = { key, cgroupId: record.cgroupId, tgid: record.tgid, comm: record.comm, kernel: framesBuffer(record.kernel), user: framesBuffer(record.user), kernelLost: record.kernelLost, userLost: record.userLost };
    this.#ids.set(key, id);
    this.#records.set(id, raw);
    this.#frames += record.kernel.length + record.user.length;
    return id;
  }

  read(ids: ReadonlySet<number>): Map<number, RawLookbackRecord> {
    const out = new Map<number, RawLookbackRecord>();
    for (const id of ids) {
      const r = this.#records.get(id);
      if (r !== undefined) out.set(id, r);
    }
    return out;
  }

  forget(id: number): void {
    const r = this.#records.get(id);
    if (r === undefined) return;
    this.#records.delete(id);
    this.#ids.delete(r.key);
    this.#frames -= (r.kernel.length + r.user.length) / 8;
  }

  approxBytes(stacks: number): number {
    return this.#frames * 8 + stacks * 100;
  }
}

export interface LookbackWindowOptions {
  /** How much history to keep; default 30 000 ms. */
  retentionMs?: number;
  /** Aggregation granularity; default 1000 ms. */
  bucketMs?: number;
  /** Most distinct stacks the in-memory store keeps (records given to add()); default 8192. */
  maxStacks?: number;
  /** Where the stacks of addCount() ids are kept (the sampler's BPF map); default: in memory. */
  store?: StackStore;
}

/** One aggregated stack of a slice; JSON-safe (kernel ips as hex strings) so it can cross process IPC. */
export interface SliceStack {
  /** v2 cgroup id of the sampled task, decimal string */
  cgroupId: string;
  tgid: number;
  comm: string;
  /** Kernel ips, innermost first, hex without 0x. */
  kernel: string[];
  /** User ips, innermost first. */
  user: number[];
  kernelLost: boolean;
  userLost: boolean;
  count: number;
}

/** The samples of [fromMs, toMs) as the window held them. */
export interface LookbackSlice {
  fromMs: number;
  toMs: number;
  /** Earliest time the window still covered when asked (later than fromMs: history missing). */
  coveredFromMs: number;
  frequency: number;
  samples: number;
  /** Only this v2 cgroup's samples (decimal id); absent = host-wide. */
  cgroupId?: string;
  /** Samples in the range whose stack was not kept (the distinct-stack bound was reached; host-wide slices only). */
  overflow: number;
  stacks: SliceStack[];
}

export interface LookbackWindowStats {
  buckets: number;
  /** Distinct stacks the buckets use. */
  stacks: number;
  /** Samples currently held. */
  samples: number;
  /** Samples whose stack could not be kept since start (the distinct-stack bound was reached). */
  overflowTotal: number;
  /** Rough bytes held for the stacks (the store's estimate). */
  approxBytes: number;
}

interface Bucket {
  startMs: number;
  /** Samples per stack id. */
  counts: Map<number, number>;
  /** Samples whose stack was refused at add() (in-memory store full). */
  overflow: number;
  samples: number;
}

export class LookbackWindow {
  readonly retentionMs: number;
  readonly bucketMs: number;
  readonly maxStacks: number;
  readonly #store: StackStore;
  readonly #memory: MemoryStackStore | undefined;
  /** Buckets using each stack id. */
  readonly #refs = new Map<number, number>();
  /** Oldest first. */
  readonly #buckets: Bucket[] = [];
  #overflowTotal = 0;

  constructor(options: LookbackWindowOptions = {}) {
    this.retentionMs = options.retentionMs ?? 30_000;
    this.bucketMs = options.bucketMs ?? 1000;
    this.maxStacks = options.maxStacks ?? 8192;
    this.#memory = options.store === undefined ? new MemoryStackStore(this.maxStacks) : undefined;
    this.#store = options.store ?? this.#memory!;
  }

  /** Adds one decoded sample taken at `timeMs` (epoch ms), interning its stack in memory. */
  add(record: LookbackRecord, timeMs: number): void {
    if (this.#memory === undefined) throw new Error('LookbackWindow.add needs the in-memory store (no `store` option)');
    const bucket = this.#bucketAt(Math.floor(timeMs / this.bucketMs) * this.bucketMs);
    const id = this.#memory.intern(record);
    if (id === undefined) {
      bucket.samples++;
      bucket.overflow++;
      this.#overflowTotal++;
      return;
    }
    this.#count(bucket, id, 1);
  }

  /**
   * Adds `n` samples of stack `id` (kept by the store) in the bucket that starts at
   * `bucketStartMs` (epoch ms; the sampler's buckets are monotonic seconds shifted to the
   * epoch, not floored again). Samples may arrive out of order.
   */
  addCount(id: number, bucketStartMs: number, n: number): void {
    this.#count(this.#bucketAt(bucketStartMs), id, n);
  }

  /** Drops buckets that ended before now - retention, and the stacks no bucket uses any more. */
  prune(nowMs: number): void {
    const limit = nowMs - this.retentionMs;
    while (this.#buckets.length > 0 && this.#buckets[0]!.startMs + this.bucketMs <= limit) {
      const old = this.#buckets.shift()!;
      for (const id of old.counts.keys()) {
        const left = this.#refs.get(id)! - 1;
        if (left > 0) {
          this.#refs.set(id, left);
        } else {
          this.#refs.delete(id);
          this.#store.forget(id);
        }
      }
    }
  }

  /**
   * The aggregated samples of the buckets overlapping [fromMs, toMs); with `cgroupId`, only
   * the stacks of tasks in that v2 cgroup (exact, like the capture's bpf-filter method).
   * Samples of a stack the store did not keep count as `overflow` (host-wide slices).
   */
  slice(fromMs: number, toMs: number, frequency: number, cgroupId?: string): LookbackSlice {
    const merged = new Map<number, number>();
    let samples = 0;
    let overflow = 0;
    for (const b of this.#buckets) {
      if (b.startMs + this.bucketMs <= fromMs || b.startMs >= toMs) continue;
      samples += b.samples;
      overflow += b.overflow;
      for (const [id, n] of b.counts) merged.set(id, (merged.get(id) ?? 0) + n);
    }
    const records = merged.size === 0 ? new Map<number, RawLookbackRecord>() : this.#store.read(new Set(merged.keys()));
    const stacks: SliceStack[] = [];
    let scoped = 0;
    for (const [id, count] of merged) {
      const s = records.get(id);
      if (s === undefined) {
        overflow += count;
        continue;
      }
      const cg = String(s.cgroupId);
      if (cgroupId !== undefined && cg !== cgroupId) continue;
      scoped += count;
      stacks.push({ cgroupId: cg, tgid: s.tgid, comm: s.comm, kernel: hexFrames(s.kernel), user: numberFrames(s.user), kernelLost: s.kernelLost, userLost: s.userLost, count });
    }
    const first = this.#buckets[0]?.startMs;
    return {
      fromMs,
      toMs,
      coveredFromMs: first === undefined ? toMs : Math.max(fromMs, first),
      frequency,
      ...(cgroupId === undefined ? {} : { cgroupId }),
      // A container's slice counts its own samples only; a stack not kept has no known cgroup.
      samples: cgroupId === undefined ? samples : scoped,
      overflow: cgroupId === undefined ? overflow : 0,
      stacks,
    };
  }

  stats(): LookbackWindowStats {
    return {
      buckets: this.#buckets.length,
      stacks: this.#refs.size,
      samples: this.#buckets.reduce((n, b) => n + b.samples, 0),
      overflowTotal: this.#overflowTotal,
      approxBytes: this.#store.approxBytes(this.#refs.size),
    };
  }

  #count(bucket: Bucket, id: number, n: number): void {
    bucket.samples += n;
    const had = bucket.counts.get(id);
    if (had === undefined) {
      this.#refs.set(id, (this.#refs.get(id) ?? 0) + 1);
      bucket.counts.set(id, n);
    } else {
      bucket.counts.set(id, had + n);
    }
  }

  #bucketAt(startMs: number): Bucket {
    // Samples arrive nearly in time order: search from the end.
    for (let i = this.#buckets.length - 1; i >= 0; i--) {
      const b = this.#buckets[i]!;
      if (b.startMs === startMs) return b;
      if (b.startMs < startMs) {
        const fresh: Bucket = { startMs, counts: new Map(), overflow: 0, samples: 0 };
        this.#buckets.splice(i + 1, 0, fresh);
        return fresh;
      }
    }
    const fresh: Bucket = { startMs, counts: new Map(), overflow: 0, samples: 0 };
    this.#buckets.unshift(fresh);
    return fresh;
  }
}
