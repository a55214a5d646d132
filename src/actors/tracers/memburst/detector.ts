// The burst rule over a ring of anon samples (pure). HUATUO's rule, integer-free:
// fire when the window is full, anon ≥ (1 + burst%/100) × the oldest sample, and
// anon ≥ anon% × MemTotal.
export class SampleWindow {
  private readonly ring: number[] = [];

  constructor(readonly capacity: number) {}

  /** Adds the newest sample; returns the oldest one still in the window once it is full. */
  push(value: number): number | undefined {
    this.ring.push(value);
    if (this.ring.length > this.capacity) this.ring.shift();
    return this.ring.length === this.capacity ? this.ring[0] : undefined;
  }

  get size(): number {
    return this.ring.length;
  }
}

export interface BurstRule {
  burstPercent: number;
  anonPercent: number;
}

export interface BurstVerdict {
  fire: boolean;
  /** anon / oldest − 1, in percent (NaN while the window fills). */
  growthPercent: number;
  /** anon / MemTotal, in percent. */
  anonOfTotalPercent: number;
}

export function evaluateBurst(anon: number, oldest: number | undefined, memTotal: number, rule: BurstRule): BurstVerdict {
  const anonOfTotalPercent = memTotal > 0 ? (anon / memTotal) * 100 : 0;
  if (oldest === undefined) return { fire: false, growthPercent: Number.NaN, anonOfTotalPercent };
  const growthPercent = oldest > 0 ? (anon / oldest - 1) * 100 : Number.POSITIVE_INFINITY;
  const fire = anon >= (1 + rule.burstPercent / 100) * oldest && anon >= (rule.anonPercent / 100) * memTotal;
  return { fire, growthPercent, anonOfTotalPercent };
}
