// Fan-out of newly stored event documents to server-sent-event subscribers. Bounded on
// both axes: at most `maxSubscribers` streams (the next one is refused), and each
// subscriber buffers at most `bufferEvents` documents while its socket is not draining;
// beyond that the oldest is dropped and counted, so one slow client never grows the
// agent's memory or slows the others.
import type { EventDocument } from '../event/index.js';

/** The part of a writable stream the hub uses (http.ServerResponse in production). */
export interface SseSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
}

export interface WatchFilter {
  tracer?: string;
  container?: string;
  /** Include tracer_data (flame graphs can be large; off by default, like HUATUO). */
  includeData: boolean;
}

export interface WatchLimits {
  maxSubscribers: number;
  bufferEvents: number;
  keepAliveMs: number;
}

interface Subscriber {
  id: number;
  /** The hub's clock when it subscribed: it gets only documents marked after this. */
  since: number;
  sink: SseSink;
  filter: WatchFilter;
  buffer: string[];
  waitingForDrain: boolean;
  dropped: number;
  closed: boolean;
}

export interface WatchCounters {
  /** Documents dropped from slow subscribers' buffers since start. */
  dropped: number;
  /** Documents written to subscribers since start. */
  sent: number;
  /** Subscriptions refused because the hub was full. */
  refused: number;
}

export class WatchHub {
  private readonly subscribers = new Map<number, Subscriber>();
  private nextId = 1;
  /** Orders subscriptions against stored documents (see mark()). */
  private clock = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  readonly counters: WatchCounters = { dropped: 0, sent: 0, refused: 0 };

  constructor(private readonly limits: WatchLimits) {}

  get full(): boolean {
    return this.subscribers.size >= this.limits.maxSubscribers;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Returns an unsubscribe function, or undefined when the hub is full. */
  subscribe(sink: SseSink, filter: WatchFilter): (() => void) | undefined {
    if (this.subscribers.size >= this.limits.maxSubscribers) {
      this.counters.refused++;
      return undefined;
    }
    const sub: Subscriber = { id: this.nextId++, since: ++this.clock, sink, filter, buffer: [], waitingForDrain: false, dropped: 0, closed: false };
    this.subscribers.set(sub.id, sub);
    this.keepAlive ??= setInterval(() => this.ping(), this.limits.keepAliveMs);
    // An immediate comment so the client knows the stream is open (and proxies flush headers).
    this.enqueue(sub, ': watching\n\n');
    return () => this.unsubscribe(sub);
  }

  /**
   * A point on the hub's clock, taken when storage acknowledged a document. Publishing it
   * later with this mark reaches only subscribers that were already subscribed then, so
   * a subscriber never gets a document stored before it subscribed, even if the document
   * is fetched and published after.
   */
  mark(): number {
    return ++this.clock;
  }

  /** Sends to every matching subscriber (only those subscribed before `storedAt`, when given). */
  publish(doc: EventDocument, storedAt?: number): void {
    let frame: string | undefined;
    let frameWithData: string | undefined;
    for (const sub of this.subscribers.values()) {
      if (storedAt !== undefined && sub.since > storedAt) continue;
      if (sub.filter.tracer !== undefined && sub.filter.tracer !== doc.tracer_name) continue;
      if (sub.filter.container !== undefined && sub.filter.container !== doc.container_id) continue;
      if (sub.filter.includeData) frameWithData ??= eventFrame(doc, true);
      else frame ??= eventFrame(doc, false);
      this.enqueue(sub, sub.filter.includeData ? frameWithData! : frame!, true);
    }
  }

  /** Ends every stream (agent shutdown). */
  close(): void {
    for (const sub of [...this.subscribers.values()]) {
      this.unsubscribe(sub);
      sub.sink.end();
    }
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  private unsubscribe(sub: Subscriber): void {
    sub.closed = true;
    this.subscribers.delete(sub.id);
    if (this.subscribers.size === 0 && this.keepAlive !== undefined) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }

  private ping(): void {
    // A keep-alive is only worth sending to a subscriber whose socket is draining.
    for (const sub of this.subscribers.values()) if (sub.buffer.length === 0) this.enqueue(sub, ': ping\n\n');
  }

  /** Documents lost before they reached the hub (the relay's queue overflowed or a fetch failed). */
  countLost(n: number): void {
    this.counters.dropped += n;
  }

  private enqueue(sub: Subscriber, frame: string, isEvent = false): void {
    if (sub.closed) return;
    sub.buffer.push(frame);
    while (sub.buffer.length > this.limits.bufferEvents) {
      sub.buffer.shift();
      sub.dropped++;
      this.counters.dropped++;
    }
    if (isEvent) this.counters.sent++;
    this.flush(sub);
  }

  private flush(sub: Subscriber): void {
    if (sub.waitingForDrain || sub.closed) return;
    while (sub.buffer.length > 0) {
      // Tell the client how much it lost before the next document, once per gap.
      if (sub.dropped > 0) {
        const gap = `event: dropped\ndata: ${JSON.stringify({ dropped: sub.dropped })}\n\n`;
        sub.dropped = 0;
        if (!sub.sink.write(gap)) return this.awaitDrain(sub);
      }
      const frame = sub.buffer.shift()!;
      if (!sub.sink.write(frame)) return this.awaitDrain(sub);
    }
  }

  private awaitDrain(sub: Subscriber): void {
    sub.waitingForDrain = true;
    sub.sink.once('drain', () => {
      sub.waitingForDrain = false;
      this.flush(sub);
    });
  }
}

function eventFrame(doc: EventDocument, includeData: boolean): string {
  const body = includeData ? doc : { ...doc, tracer_data: undefined };
  return `id: ${doc.tracer_id}\nevent: event\ndata: ${JSON.stringify(body)}\n\n`;
}
