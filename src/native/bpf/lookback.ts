// TS side of lookback.bpf.c / lookback.h: declared once here, checked against the object's
// BTF by test/capture/lookback.test.ts.
import { array, char, defineLayout, s32, u32, u64 } from '../layout.js';

export const LOOKBACK_OBJECT = 'lookback';
export const LOOKBACK_PROGRAM = 'lookback_sample';
/** Hash map: 53-bit stack hash (u64) → struct lookback_sample (the first sample of that identity). */
export const LOOKBACK_STACKS_MAP = 'stacks';
/** Hash map: struct lookback_count_key → u64 samples since the last drain. */
export const LOOKBACK_COUNTS_MAP = 'counts';
/** Per-CPU array of u64 counters, slots LOOKBACK_STAT. */
export const LOOKBACK_STATS_MAP = 'stats';
/** `const volatile` length of a time bucket in ns. */
export const LOOKBACK_BUCKET_NS = 'bucket_ns';
export const LOOKBACK_STACK_DEPTH = 64;
export const LOOKBACK_STAT = { samples: 0, stacksFull: 1, countsFull: 2 } as const;

export const lookbackSampleLayout = defineLayout('lookback_sample', {
  time_ns: u64,
  cgroup_id: u64,
  pid: u32,
  tgid: u32,
  kbytes: s32,
  ubytes: s32,
  comm: char(16),
  kips: array(u64, LOOKBACK_STACK_DEPTH),
  uips: array(u64, LOOKBACK_STACK_DEPTH),
});

export const lookbackCountKeyLayout = defineLayout('lookback_count_key', {
  stack: u64,
  bucket: u64,
});

/** A decoded sample (tests and tools build these; the sampler reads RawLookbackRecord). */
export interface LookbackRecord {
  timeNs: bigint;
  cgroupId: bigint;
  pid: number;
  tgid: number;
  comm: string;
  /** Kernel ips, innermost first; [] when the sample had none (user mode) or the walk failed. */
  kernel: bigint[];
  /** User ips, innermost first (below 2^47: exact as Numbers). */
  user: number[];
  /** A stack walk failed (negative bpf_get_stack result). */
  kernelLost: boolean;
  userLost: boolean;
}

const OFF_KIPS = 48;
const OFF_UIPS = OFF_KIPS + LOOKBACK_STACK_DEPTH * 8;

/** A sample with its frames left as raw little-endian u64 bytes: no BigInt per frame. */
export interface RawLookbackRecord {
  cgroupId: bigint;
  tgid: number;
  comm: string;
  kernel: Buffer;
  user: Buffer;
  kernelLost: boolean;
  userLost: boolean;
}

/** A `stacks` value with its frames left as raw bytes (copied: `buf` may be a view into a large read). */
export function decodeLookbackSampleRaw(buf: Buffer): RawLookbackRecord {
  const kbytes = buf.readInt32LE(24);
  const ubytes = buf.readInt32LE(28);
  const nul = buf.indexOf(0, 32);
  const bytes = (n: number): number => Math.max(0, Math.min(LOOKBACK_STACK_DEPTH, Math.floor(n / 8))) * 8;
  // Own memory (not Buffer.from, whose small copies share 8 KB pool slabs a kept stack would pin).
  const copy = (offset: number, n: number): Buffer => {
    const out = Buffer.allocUnsafeSlow(n);
    buf.copy(out, 0, offset, offset + n);
    return out;
  };
  return {
    cgroupId: buf.readBigUInt64LE(8),
    tgid: buf.readUInt32LE(20),
    comm: buf.toString('utf8', 32, nul === -1 || nul > 48 ? 48 : nul),
    kernel: copy(OFF_KIPS, bytes(kbytes)),
    user: copy(OFF_UIPS, bytes(ubytes)),
    kernelLost: kbytes < 0 && kbytes !== -14 /* -EFAULT: no kernel stack (user-mode sample) */,
    userLost: ubytes < 0 && ubytes !== -14,
  };
}

/** A u64 read as a Number: exact below 2^53 (the stack hashes are masked to 53 bits, buckets are seconds). */
export function readU53(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * 2 ** 32;
}

/** The `stacks` map key of a stack hash. */
export function stackHashKey(hash: number): Buffer {
  const key = Buffer.alloc(8);
  key.writeUInt32LE(hash % 2 ** 32, 0);
  key.writeUInt32LE(Math.floor(hash / 2 ** 32), 4);
  return key;
}
