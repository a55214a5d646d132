// The in-process look-back window: the last N seconds of low-rate host-wide stack samples,
// aggregated per 1 s bucket by (process, thread name, kernel stack, user stack). Each
// distinct stack is stored once (interned) and referenced by count from the buckets that
// saw it; a bucket older than the retention is dropped with the stacks only it used. The
// number of distinct stacks is bounded: past the bound, new stacks are counted, not kept.
// Pure (no BPF, no /proc): the sampler feeds it, tests drive it directly.
import type { LookbackRecord, RawLookbackRecord } from '../native/bpf/lookback.js';

// Interned stacks keep the raw little-endian u64 frames (RawLookbackRecord), one Buffer per
// stack instead of an array of BigInts: a busy host has mostly distinct stacks at 19 Hz, so
// most samples intern one, and 64 heap numbers each kept the GC busy. slice() decodes them.

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

export interface LookbackWindowOptions {
  /** How much history to keep; default 30 000 ms. */
  retentionMs?: number;
  /** Aggregation granularity; default 1000 ms. */
  bucketMs?: number;
  /** Most distinct stacks kept at once; default 8192 (each ≈ 1 KB with its frames). */
  maxStacks?: number;
}

interface InternedStack extends Omit<RawLookbackRecord, 'cgroupId'> {
  key: string;
  /** v2 cgroup id, decimal */
  cgroupId: string;
  /** Buckets holding a count of it. */
  refs: number;
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
  stacks: number;
  /** Samples currently held. */
  samples: number;
  /** Samples dropped since start because the distinct-stack bound was reached. */
  overflowTotal: number;
  /** Rough bytes held by the interned frames (8 B per frame + 100 B per stack). */
  approxBytes: number;
}

interface Bucket {
  startMs: number;
  counts: Map<InternedStack, number>;
  overflow: number;
  samples: number;
}

export class LookbackWindow {
  readonly retentionMs: number;
  readonly bucketMs: number;
  readonly maxStacks: number;
  readonly #stacks = new Map<string, InternedStack>();
  /** Oldest first. */
  readonly #buckets: Bucket[] = [];
  #overflowTotal = 0;
  #frames = 0;

  constructor(options: LookbackWindowOptions = {}) {
    this.retentionMs = options.retentionMs ?? 30_000;
    this.bucketMs = options.bucketMs ?? 1000;
    this.maxStacks = options.maxStacks ?? 8192;
  }

  /** Adds one decoded sample taken at `timeMs` (epoch ms). */
  add(record: LookbackRecord, timeMs: number): void {
    const key = `${record.cgroupId}\u0000${record.tgid}\u0000${record.comm}\u0000${record.kernelLost ? 'L' : record.kernel.join(',')}\u0000${record.userLost ? 'L' : record.user.join(',')}`;
    this.addKeyed(key, timeMs, () => ({ ...record, kernel: framesBuffer(record.kernel), user: framesBuffer(record.user) }));
  }

  /**
   * Adds one sample by an identity key the caller derived cheaply (the sampler: the raw
   * record bytes). `decode` runs only for a stack not interned yet: a steady host repeats
   * most stacks, so most samples cost a string key and a map lookup, no BigInt at all.
   * Samples may arrive slightly out of order.
   */
  addKeyed(key: string, timeMs: number, decode: () => RawLookbackRecord): void {
    const bucket = this.#bucketFor(timeMs);
    bucket.samples++;
    let stack = this.#stacks.get(key);
    if (stack === undefined) {
      if (this.#stacks.size >= this.maxStacks) {
        bucket.overflow++;
        this.#overflowTotal++;
        return;
      }
      const record = decode();
      stack = { key, cgroupId: String(record.cgroupId), tgid: record.tgid, comm: record.comm, kernel: record.kernel, user: record.user, kernelLost: record.kernelLost, userLost: record.userLost, refs: 0 };
      this.#stacks.set(key, stack);
      this.#frames += (record.kernel.length + record.user.length) / 8;
    }
    const n = bucket.counts.get(stack);
    if (n === undefined) {
      stack.refs++;
      bucket.counts.set(stack, 1);
    } else {
      bucket.counts.set(stack, n + 1);
    }
  }

  /** Drops buckets that ended before now - retention, and the stacks no bucket uses any more. */
  prune(nowMs: number): void {
    const limit = nowMs - this.retentionMs;
    while (this.#buckets.length > 0 && this.#buckets[0]!.startMs + this.bucketMs <= limit) {
      const old = this.#buckets.shift()!;
      for (const stack of old.counts.keys()) {
        if (--stack.refs === 0) this.#forget(stack);
      }
    }
  }

  /**
   * The aggregated samples of the buckets overlapping [fromMs, toMs); with `cgroupId`, only
   * the stacks of tasks in that v2 cgroup (exact, like the capture's bpf-filter method).
   */
  slice(fromMs: number, toMs: number, frequency: number, cgroupId?: string): LookbackSlice {
    const merged = new Map<InternedStack, number>();
    let samples = 0;
    let overflow = 0;
    for (const b of this.#buckets) {
      if (b.startMs + this.bucketMs <= fromMs || b.startMs >= toMs) continue;
      if (cgroupId === undefined) {
        samples += b.samples;
        overflow += b.overflow;
      }
      for (const [stack, n] of b.counts) {
        if (cgroupId !== undefined && stack.cgroupId !== cgroupId) continue;
        if (cgroupId !== undefined) samples += n;
        merged.set(stack, (merged.get(stack) ?? 0) + n);
      }
    }
    const stacks: SliceStack[] = [];
    for (const [s, count] of merged) {
      stacks.push({ cgroupId: s.cgroupId, tgid: s.tgid, comm: s.comm, kernel: hexFrames(s.kernel), user: numberFrames(s.user), kernelLost: s.kernelLost, userLost: s.userLost, count });
    }
    const first = this.#buckets[0]?.startMs;
    return {
      fromMs,
      toMs,
      coveredFromMs: first === undefined ? toMs : Math.max(fromMs, first),
      frequency,
      ...(cgroupId === undefined ? {} : { cgroupId }),
      samples,
      overflow,
      stacks,
    };
  }

  stats(): LookbackWindowStats {
    return {
      buckets: this.#buckets.length,
      stacks: this.#stacks.size,
      samples: this.#buckets.reduce((n, b) => n + b.samples, 0),
      overflowTotal: this.#overflowTotal,
      approxBytes: this.#frames * 8 + this.#stacks.size * 100,
    };
  }

  #bucketFor(timeMs: number): Bucket {
    const startMs = Math.floor(timeMs / this.bucketMs) * this.bucketMs;
    // Records arrive in time order per CPU, nearly in order overall: search from the end.
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

  #forget(stack: InternedStack): void {
    this.#stacks.delete(stack.key);
    this.#frames -= (stack.kernel.length + stack.user.length) / 8;
  }
}
