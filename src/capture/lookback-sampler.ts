// The owner of the look-back: opens lookback.bpf.o at a low rate on every CPU and drains
// its ring into a LookbackWindow on a 1 s timer (the program submits without waking us,
// so the steady cost is one ring read per second, not one wake-up per sample).
import { BpfObject, type RingBuffer } from '../native/index.js';
import { LOOKBACK_OBJECT, LOOKBACK_PROGRAM, LOOKBACK_RING, decodeLookbackSampleRaw, lookbackSampleKey, lookbackSampleLayout } from '../native/bpf/lookback.js';
import { onlineCpuCount } from '../containers/cgroup-files.js';
import { CaptureError } from './errors.js';
import { LookbackWindow, type LookbackSlice, type LookbackWindowStats } from './lookback-window.js';

export const DEFAULT_LOOKBACK_FREQUENCY_HZ = 19;
export const DEFAULT_LOOKBACK_SECONDS = 30;

export interface LookbackSamplerOptions {
  /** Hz per CPU; default 19 (not a multiple of common timer rates). */
  frequency?: number;
  /** History kept; default 30 s. */
  retentionSeconds?: number;
  /** Ring drain period; default 1000 ms. */
  drainMs?: number;
  /** Most distinct stacks kept (LookbackWindow.maxStacks). */
  maxStacks?: number;
  cpus?: number[];
}

export interface LookbackSamplerStats extends LookbackWindowStats {
  frequency: number;
  retentionSeconds: number;
  /** Records read from the ring since start. */
  received: number;
  /** Failed ring reserves (ring full between two drains). */
  dropped: number;
  ringBytes: number;
}

/** A ring that holds `drainMs` of samples four times over, as a power of two of at least 64 KiB. */
export function lookbackRingBytes(cpus: number, frequency: number, drainMs: number): number {
  const perSecond = cpus * frequency * (lookbackSampleLayout.size + 8 /* ringbuf record header */);
  const want = (perSecond * drainMs * 4) / 1000;
  return Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(want)));
}

export class LookbackSampler {
  readonly frequency: number;
  readonly retentionSeconds: number;
  readonly ringBytes: number;
  readonly #object: BpfObject;
  readonly #ring: RingBuffer;
  readonly #window: LookbackWindow;
  #received = 0;
  #closed = false;

  private constructor(object: BpfObject, ringBytes: number, frequency: number, retentionSeconds: number, window: LookbackWindow, drainMs: number) {
    this.#object = object;
    this.ringBytes = ringBytes;
    this.frequency = frequency;
    this.retentionSeconds = retentionSeconds;
    this.#window = window;
    this.#ring = object.openRingBuffer(LOOKBACK_RING, (records) => this.#ingest(records), { mode: 'periodic', periodMs: drainMs });
  }

  /** Opens and attaches the sampler. Throws CAPTURE_INVALID_OPTIONS / CAPTURE_ATTACH_FAILED. */
  static start(options: LookbackSamplerOptions = {}): LookbackSampler {
    const frequency = options.frequency ?? DEFAULT_LOOKBACK_FREQUENCY_HZ;
    const retentionSeconds = options.retentionSeconds ?? DEFAULT_LOOKBACK_SECONDS;
    const drainMs = options.drainMs ?? 1000;
    for (const [name, v] of [['frequency', frequency], ['retentionSeconds', retentionSeconds], ['drainMs', drainMs]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new CaptureError('CAPTURE_INVALID_OPTIONS', `look-back ${name} must be a positive integer, got ${String(v)}`);
    }
    const ringBytes = lookbackRingBytes(options.cpus?.length ?? onlineCpuCount(), frequency, drainMs);
    let object: BpfObject | undefined;
    try {
      object = BpfObject.openBuilt(LOOKBACK_OBJECT, { mapSizes: { [LOOKBACK_RING]: ringBytes } });
      object.attachPerfEvent(LOOKBACK_PROGRAM, { frequency, ...(options.cpus === undefined ? {} : { cpus: options.cpus }) });
      const window = new LookbackWindow({ retentionMs: retentionSeconds * 1000, ...(options.maxStacks === undefined ? {} : { maxStacks: options.maxStacks }) });
      return new LookbackSampler(object, ringBytes, frequency, retentionSeconds, window, drainMs);
    } catch (err) {
      object?.close();
      throw new CaptureError('CAPTURE_ATTACH_FAILED', `cannot start the look-back sampler: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The samples of [fromMs, toMs) (reads the ring first, so the last second is included). */
  slice(fromMs: number, toMs: number, cgroupId?: string): LookbackSlice {
    if (!this.#closed) this.#ring.consume();
    return this.#window.slice(fromMs, toMs, this.frequency, cgroupId);
  }

  stats(): LookbackSamplerStats {
    return {
      ...this.#window.stats(),
      frequency: this.frequency,
      retentionSeconds: this.retentionSeconds,
      received: this.#received,
      dropped: this.#closed ? 0 : this.#ring.dropped,
      ringBytes: this.ringBytes,
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
    this.#object.close();
  }

  #ingest(records: Buffer[]): void {
    // bpf_ktime_get_ns and process.hrtime are both CLOCK_MONOTONIC: one offset per batch.
    const offsetMs = Date.now() - Number(process.hrtime.bigint()) / 1e6;
    for (const buf of records) {
      const timeMs = Number(buf.readBigUInt64LE(0)) / 1e6 + offsetMs;
      this.#window.addKeyed(lookbackSampleKey(buf), timeMs, () => decodeLookbackSampleRaw(buf));
    }
    this.#received += records.length;
    this.#window.prune(Date.now());
  }
}
