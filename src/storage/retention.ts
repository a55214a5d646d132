// Retention: keeps the store bounded by age and by size.
// 1. Age: events whose tracer time is older than maxAgeDays are evicted, shipped or not
//    (an expired unshipped event is counted as evicted-before-shipped).
// 2. Size: while the live pages exceed maxSizeBytes, evict the oldest *shipped* events; only
//    when nothing shipped is left does the cap force out unshipped ones (counted too).
// 3. Dead letters have their own age and count limits (deadLetterMaxAgeDays/-MaxCount).
// Works in chunks so one run never holds a huge commit or blocks the actor for long.
import type { EventStore } from './store.js';

export interface RetentionPolicy {
  maxAgeDays: number;
  maxSizeBytes: number;
  /** Absent: dead letters are kept (callers that predate their retention). */
  deadLetterMaxAgeDays?: number;
  deadLetterMaxCount?: number;
}

export interface RetentionResult {
  expired: number;
  evictedForSize: number;
  deadLettersRemoved: number;
}

const CHUNK = 2000;

export async function applyRetention(store: EventStore, policy: RetentionPolicy, now = Date.now()): Promise<RetentionResult> {
  const result: RetentionResult = { expired: 0, evictedForSize: 0, deadLettersRemoved: 0 };
  // 0. Dead letters first, by their own age and count: they must not crowd out live events.
  if (policy.deadLetterMaxAgeDays !== undefined || policy.deadLetterMaxCount !== undefined) {
    const dlCutoff = policy.deadLetterMaxAgeDays !== undefined ? now - policy.deadLetterMaxAgeDays * 86_400_000 : 0;
    result.deadLettersRemoved = await store.trimDeadLetters(dlCutoff, policy.deadLetterMaxCount ?? Number.POSITIVE_INFINITY);
  }
  const cutoff = now - policy.maxAgeDays * 86_400_000;
  for (;;) {
    const seqs = store.expiredSeqs(cutoff, CHUNK);
    if (seqs.length === 0) break;
    result.expired += await store.evict(seqs);
    if (seqs.length < CHUNK) break;
  }
  while (store.usedBytes() > policy.maxSizeBytes) {
    let seqs = store.oldestSeqs(chunkFor(store, policy), false);
    if (seqs.length === 0) seqs = store.oldestSeqs(chunkFor(store, policy), true);
    if (seqs.length === 0) break;
    const removed = await store.evict(seqs);
    if (removed === 0) break;
    result.evictedForSize += removed;
  }
  return result;
}

/** About as many events as the excess needs (by the average size), so we stop near the cap. */
function chunkFor(store: EventStore, policy: RetentionPolicy): number {
  const used = store.usedBytes();
  const count = Math.max(1, store.eventCount());
  const over = used - policy.maxSizeBytes;
  return Math.min(CHUNK, Math.max(1, Math.ceil(over / (used / count))));
}
