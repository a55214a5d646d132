// The cooldown ledger: the last trigger time of each tracer, globally (key '') or per key
// (e.g. a container id). The supervisor owns it, not the actor, so a crash loop cannot
// reset it; every arm is written through to storage before the actor hears "armed", so an
// agent restart cannot either.
import type { CooldownEntry } from '../storage/protocol.js';

export interface CooldownDecision {
  ready: boolean;
  until: number;
  armed: boolean;
  entry?: CooldownEntry;
}

export class CooldownLedger {
  private readonly entries = new Map<string, CooldownEntry>();

  constructor(private readonly clock: () => number = Date.now) {}

  load(entries: readonly CooldownEntry[]): void {
    for (const e of entries) this.entries.set(ledgerKey(e.tracer, e.key), { ...e });
  }

  check(tracer: string, key: string): CooldownDecision {
    const until = this.entries.get(ledgerKey(tracer, key))?.until ?? 0;
    return { ready: this.clock() >= until, until, armed: false };
  }

  arm(tracer: string, key: string, seconds: number): CooldownDecision {
    const now = this.clock();
    const entry: CooldownEntry = { tracer, key, lastFired: now, until: now + Math.max(0, seconds) * 1000 };
    this.entries.set(ledgerKey(tracer, key), entry);
    return { ready: false, until: entry.until, armed: true, entry };
  }

  /** Atomic: the main thread is single-threaded, so check and arm cannot interleave. */
  tryArm(tracer: string, key: string, seconds: number): CooldownDecision {
    const current = this.check(tracer, key);
    return current.ready ? this.arm(tracer, key, seconds) : current;
  }

  snapshot(): CooldownEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }
}

function ledgerKey(tracer: string, key: string): string {
  return `${tracer}\u0000${key}`;
}
