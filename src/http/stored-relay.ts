// Feeds the watch hub with newly stored documents. The supervisor announces each batch
// storage acknowledged ('tracer' event of type 'stored', with the tracer ids); this reads
// each document by id (getEvent) and publishes it, in acknowledgement order. Each id is
// announced once, so each document is published once; the hub's mark, taken when the
// ack arrives, keeps a document stored before a subscriber subscribed away from it.
// It follows the supervisor only while someone is watching.
import type { EventDocument } from '../event/index.js';
import type { TracerEvent } from '../supervisor/events.js';
import type { WatchHub } from './watch-hub.js';

export interface RelaySource {
  on(event: 'tracer', listener: (e: TracerEvent) => void): unknown;
  off(event: 'tracer', listener: (e: TracerEvent) => void): unknown;
  getEvent(tracerId: string): Promise<EventDocument | undefined>;
}

interface Announced {
  ids: string[];
  storedAt: number;
}

/** Ids waiting to be fetched; beyond this the newest announcements are dropped, counted. */
const maxQueuedIds = 10_000;
/** Reads in flight at once (storage answers them in order; this bounds the mailbox). */
const fetchChunk = 32;

export class StoredRelay {
  private readonly queue: Announced[] = [];
  private queuedIds = 0;
  private running = false;
  private attached = false;
  private closed = false;
  private readonly listener = (e: TracerEvent): void => {
    if (e.type !== 'stored' || e.tracerIds.length === 0) return;
    if (this.queuedIds + e.tracerIds.length > maxQueuedIds) {
      this.hub.countLost(e.tracerIds.length);
      return;
    }
    this.queue.push({ ids: e.tracerIds, storedAt: this.hub.mark() });
    this.queuedIds += e.tracerIds.length;
    void this.drain();
  };

  constructor(
    private readonly source: RelaySource,
    private readonly hub: WatchHub,
  ) {}

  /** Follow the supervisor only while `active` (someone is watching). */
  setActive(active: boolean): void {
    if (this.closed) return;
    if (active && !this.attached) this.source.on('tracer', this.listener);
    if (!active && this.attached) {
      this.source.off('tracer', this.listener);
      // Nobody left to send them to.
      this.queue.length = 0;
      this.queuedIds = 0;
    }
    this.attached = active;
  }

  close(): void {
    this.setActive(false);
    this.closed = true;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let batch = this.queue.shift(); batch !== undefined; batch = this.queue.shift()) {
        this.queuedIds -= batch.ids.length;
        for (let i = 0; i < batch.ids.length && !this.closed; i += fetchChunk) {
          const ids = batch.ids.slice(i, i + fetchChunk);
          const docs = await Promise.all(ids.map((id) => this.source.getEvent(id).catch(() => undefined)));
          for (const doc of docs) {
            // Missing: evicted by retention already, or storage failed the read.
            if (doc === undefined) this.hub.countLost(1);
            else this.hub.publish(doc, batch.storedAt);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
