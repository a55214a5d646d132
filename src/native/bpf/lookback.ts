// TS side of lookback.bpf.c / lookback.h: declared once here, checked against the object's
// BTF by test/capture/lookback.test.ts.
import { array, char, defineLayout, s32, u32, u64 } from '../layout.js';

export const LOOKBACK_OBJECT = 'lookback';
export const LOOKBACK_PROGRAM = 'lookback_sample';
/** Ring buffer of struct lookback_sample; failed reserves counted in `samples_drops`. */
export const LOOKBACK_RING = 'samples';
export const LOOKBACK_STACK_DEPTH = 64;

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

function ips(buf: Buffer, offset: number, bytes: number): bigint[] {
  const n = Math.min(LOOKBACK_STACK_DEPTH, Math.max(0, Math.floor(bytes / 8)));
  const out: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readBigUInt64LE(offset + i * 8);
  return out;
}

/** Decodes one ring record, reading only the frames the program wrote (not the whole arrays). */
export function decodeLookbackSample(buf: Buffer): LookbackRecord {
  const kbytes = buf.readInt32LE(24);
  const ubytes = buf.readInt32LE(28);
  const nul = buf.indexOf(0, 32);
  const comm = buf.toString('utf8', 32, nul === -1 || nul > 48 ? 48 : nul);
  return {
    timeNs: buf.readBigUInt64LE(0),
    cgroupId: buf.readBigUInt64LE(8),
    pid: buf.readUInt32LE(16),
    tgid: buf.readUInt32LE(20),
    comm,
    kernel: ips(buf, OFF_KIPS, kbytes),
    user: ips(buf, OFF_UIPS, ubytes).map(Number),
    kernelLost: kbytes < 0 && kbytes !== -14 /* -EFAULT: no kernel stack (user-mode sample) */,
    userLost: ubytes < 0 && ubytes !== -14,
  };
}

/**
 * The identity of a sample's stacks as a string, straight from the record bytes: cgroup,
 * tgid, both lengths, comm and the written frames (the time and the thread id left out, so
 * samples of one stack in one process share it). No BigInt is created.
 */
export function lookbackSampleKey(buf: Buffer): string {
  const kbytes = Math.max(0, Math.min(LOOKBACK_STACK_DEPTH * 8, buf.readInt32LE(24)));
  const ubytes = Math.max(0, Math.min(LOOKBACK_STACK_DEPTH * 8, buf.readInt32LE(28)));
  return buf.toString('latin1', 8, 16) + buf.toString('latin1', 20, 48) + buf.toString('latin1', OFF_KIPS, OFF_KIPS + kbytes) + '|' + buf.toString('latin1', OFF_UIPS, OFF_UIPS + ubytes);
}

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

/** The record with its frames left as raw bytes (copied out of the ring). */
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
    kernelLost: kbytes < 0 && kbytes !== -14,
    userLost: ubytes < 0 && ubytes !== -14,
  };
}
