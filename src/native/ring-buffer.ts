// A BPF ring buffer consumer owned by a BpfObject. Delivery happens on the JS thread
// of the object's environment (uv_poll on the ring's epoll fd, or a uv timer), one
// onRecords call per consumed batch.
import { native } from './errors.js';
import type { NativeBpfObject } from './native-binding.js';

export interface RingBufferOptions {
  /**
   * 'poll' (default): a uv_poll on ring_buffer__epoll_fd, consumed as soon as the kernel
   * wakes us up. 'periodic': a uv timer consumes every periodMs, for producers that
   * submit with BPF_RB_NO_WAKEUP (self-triggering sources such as sched_switch).
   * Both handles are ref'd while open: like any poller they keep the event loop alive.
   */
  mode?: 'poll' | 'periodic';
  /** Period of 'periodic' mode, default 20 ms. */
  periodMs?: number;
}

export interface RingBuffer {
  /** Records handed to onRecords so far. */
  readonly delivered: number;
  /** Failed bpf_ringbuf_reserve calls, from an ARRAY map `<ring>_drops` (u64 at key 0, summed over CPUs); 0 without one. */
  readonly dropped: number;
  /** Consumes what is available now (synchronously calls onRecords); returns the record count. */
  consume(): number;
  /** Stops delivery and frees the consumer; idempotent. */
  close(): void;
}

export class NativeRingBuffer implements RingBuffer {
  #open = true;

  constructor(
    private readonly object: NativeBpfObject,
    private readonly id: number,
    private readonly readDrops: () => number,
  ) {}

  get delivered(): number {
    return native(() => this.object.ringDelivered(this.id));
  }

  get dropped(): number {
    return this.readDrops();
  }

  consume(): number {
    return native(() => this.object.ringConsume(this.id));
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    if (this.object.closed) return;
    native(() => this.object.ringClose(this.id));
  }
}
