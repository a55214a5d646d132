// Batches ctx.save() calls (≤ maxEvents or maxDelayMs) into `events` messages and
// resolves each save with its tracer_id when the supervisor relays storage's ack.
import type { EventInput } from '../event/index.js';
import type { SerializedError } from '../common/coded-error.js';
import { ActorError } from './errors.js';

interface PendingSave {
  resolve(tracerId: string): void;
  reject(err: Error): void;
}

export class EventBatcher {
  private queue: EventInput[] = [];
  private waiters: PendingSave[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextBatchId = 1;
  private readonly inFlight = new Map<number, PendingSave[]>();
  eventsSent = 0;

  constructor(
    private readonly sendBatch: (batchId: number, events: EventInput[]) => void,
    private readonly limits: { maxEvents: number; maxDelayMs: number },
  ) {}

  add(event: EventInput): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.queue.push(event);
      this.waiters.push({ resolve, reject });
      if (this.queue.length >= this.limits.maxEvents) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.limits.maxDelayMs);
    });
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batchId = this.nextBatchId++;
    this.inFlight.set(batchId, this.waiters);
    const events = this.queue;
    this.queue = [];
    this.waiters = [];
    this.eventsSent += events.length;
    this.sendBatch(batchId, events);
  }

  acknowledge(batchId: number, tracerIds: string[]): void {
    const waiters = this.inFlight.get(batchId);
    this.inFlight.delete(batchId);
    waiters?.forEach((w, i) => {
      const id = tracerIds[i];
      if (id === undefined) w.reject(new ActorError('SAVE_FAILED', 'storage acknowledged fewer events than sent'));
      else w.resolve(id);
    });
  }

  fail(batchId: number, error: SerializedError): void {
    const waiters = this.inFlight.get(batchId);
    this.inFlight.delete(batchId);
    // MAILBOX_DROPPED: storage could not write and its bounded mailbox overflowed; the
    // runtime does not count that against the tracer (runtime.ts isStorageDrop).
    const dropped = error.code === 'MAILBOX_DROPPED';
    waiters?.forEach((w) => w.reject(dropped ? new ActorError('EVENT_DROPPED', `storage dropped the event: ${error.message}`) : new ActorError('SAVE_FAILED', `storage failed the batch: ${error.message}`)));
  }

  get pending(): number {
    let n = this.queue.length;
    for (const w of this.inFlight.values()) n += w.length;
    return n;
  }

  /** Flushes and waits (bounded) for outstanding acks: used on graceful stop. */
  async drain(timeoutMs: number): Promise<void> {
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}
