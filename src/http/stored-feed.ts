// Finds the documents the storage actor has just stored, for the watch stream.
//
// STOP-GAP: the supervisor does not (yet) announce "stored, with these tracer ids"; it only
// emits the batch it relays to storage ('tracer' event of type 'events', before the
// write). So for each relayed batch this asks storage for that tracer's documents in the
// batch's time range, a little later and again until the batch's count is found, and
// publishes the ones it has not published before and that were uploaded after the batch
// arrived (so an older document with the same tracer time is not mistaken for a new one).
// It runs only while someone is watching. When the supervisor emits stored ids, replace
// the query with getEvent(id) per id (see docs/http-api.md, "Known gaps").
import type { EventDocument, EventInput, EventQuery } from '../storage/protocol.js';
import type { TracerEvent } from '../supervisor/tracer-child.js';

export interface FeedSource {
  on(event: 'tracer', listener: (e: TracerEvent) => void): unknown;
  off(event: 'tracer', listener: (e: TracerEvent) => void): unknown;
  query(q: EventQuery): Promise<{ events: EventDocument[]; cursor?: string }>;
}

const retryDelaysMs = [50, 150, 400, 1000, 2500];
const seenCapacity = 20_000;
/** Clock skew allowance between the batch arriving and uploaded_time being stamped. */
const uploadSlackMs = 1000;

export class StoredFeed {
  private readonly seen = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private attached = false;
  private readonly listener = (e: TracerEvent): void => {
    if (e.type === 'events' && e.events.length > 0) this.lookUp(e.tracer, e.events, e.receivedAt, 0, 0);
  };

  constructor(
    private readonly source: FeedSource,
    private readonly publish: (doc: EventDocument) => void,
  ) {}

  /** Follow the supervisor only while `active` (someone is watching). */
  setActive(active: boolean): void {
    if (active && !this.attached) this.source.on('tracer', this.listener);
    if (!active && this.attached) this.source.off('tracer', this.listener);
    this.attached = active;
  }

  close(): void {
    this.setActive(false);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private lookUp(tracer: string, events: EventInput[], receivedAt: number, attempt: number, found: number): void {
    const delay = retryDelaysMs[attempt];
    if (delay === undefined || !this.attached) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.queryOnce(tracer, events, receivedAt).then(
        (n) => {
          if (found + n < events.length) this.lookUp(tracer, events, receivedAt, attempt + 1, found + n);
        },
        () => this.lookUp(tracer, events, receivedAt, attempt + 1, found),
      );
    }, delay);
    this.timers.add(timer);
  }

  private async queryOnce(tracer: string, events: EventInput[], receivedAt: number): Promise<number> {
    const times = events.map((e) => e.time);
    const from = Math.min(...times);
    const to = Math.max(...times) + 1;
    const { events: docs } = await this.source.query({ tracer, from, to, reverse: false, limit: Math.min(10_000, events.length * 4 + 16) });
    let published = 0;
    for (const doc of docs) {
      if (this.seen.has(doc.tracer_id)) continue;
      if (Date.parse(doc.uploaded_time) < receivedAt - uploadSlackMs) continue;
      this.remember(doc.tracer_id);
      this.publish(doc);
      published++;
    }
    return published;
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > seenCapacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
