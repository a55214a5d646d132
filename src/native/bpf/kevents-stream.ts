// Runs one kevents_* object until aborted: open, attach, decode each ring-buffer record
// and hand it to the caller one at a time (records are processed in order; a slow handler
// delays the next one, it never runs two concurrently).
import type { BpfObject, BpfOpenOptions } from '../index.js';
import { KEV_EVENTS_RING, kevEventLayout, type KevEvent } from './kevents.js';

export type KevOpener = (name: string, options: BpfOpenOptions) => BpfObject | Promise<BpfObject>;

export interface KevStreamOptions {
  object: string;
  rodata?: Record<string, number | bigint>;
  signal: AbortSignal;
  onEvent(event: KevEvent): Promise<void> | void;
  onError?(err: unknown): void;
  /** Called once attached (tests wait for it). */
  onAttached?(object: BpfObject): void;
}

/** Resolves when `signal` aborts and the last handler finished; returns the ring drops. */
export async function runKevStream(open: KevOpener, options: KevStreamOptions): Promise<{ dropped: number }> {
  const object = await open(options.object, options.rodata !== undefined ? { rodata: options.rodata } : {});
  let chain: Promise<void> = Promise.resolve();
  try {
    object.attach();
    const ring = object.openRingBuffer(KEV_EVENTS_RING, (records) => {
      for (const record of records) {
        const event = kevEventLayout.decode(record);
        chain = chain.then(() => options.onEvent(event)).catch((err: unknown) => options.onError?.(err));
      }
    });
    options.onAttached?.(object);
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      else options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    ring.consume();
    const dropped = ring.dropped;
    ring.close();
    await chain;
    return { dropped };
  } finally {
    object.close();
  }
}
