// Pure spike detector for one container's wait_rate series. Two rules, either fires:
//
// - spike (HUATUO-style, needs history): x > max(minThreshold, mean + max(k * std, minRise))
//   of the window of previous samples (population std; the window holds the last `capacity`
//   samples, e.g. 30 min / 5 s = 360). No verdict until the window holds `warmupSamples`.
//   `minRise` keeps a quiet, steady history (std ≈ 0) from turning noise into a spike: with
//   the warm-up lowered, a steady 50 % series fired on a sample 0.14 points over its mean.
// - floor (absolute, needs no history): x > floorPercent for `floorIntervals` consecutive
//   samples. Contention that exists from the moment a container (or the agent) starts has
//   no "before" for the spike rule to compare with; the floor still catches it, also
//   during warm-up.
//
// Edge-triggered: it fires on the onset (the first sample where either rule holds) and
// re-arms only after a sample where neither holds, so sustained contention is one event
// (the cooldown limits re-fires too). Every sample, firing or not, joins the window
// afterwards (as HUATUO's dataset did).

export interface DetectorThreshold {
  k: number;
  minThreshold: number;
  /** The spike must exceed the window mean by at least this many points (0 / absent: no minimum). */
  minRise?: number;
  /** Absolute floor (percent); absent disables the floor rule. */
  floorPercent?: number;
  /** Consecutive samples over the floor needed to fire (≥ 1). */
  floorIntervals?: number;
}

export type DetectorRule = 'spike' | 'floor';

export interface Verdict {
  fire: boolean;
  /** Which rule made this sample fire (only when fire is true; spike wins when both hold). */
  rule?: DetectorRule;
  /** The spike rule's threshold the sample was compared with (NaN during warm-up). */
  threshold: number;
  mean: number;
  std: number;
  warmingUp: boolean;
  /** Consecutive samples over the floor, this one included. */
  floorRun: number;
}

export class SpikeDetector {
  private readonly samples: number[] = [];
  private firing = false;
  private floorRun = 0;

  constructor(
    private readonly capacity: number,
    private readonly warmupSamples: number,
  ) {}

  get size(): number {
    return this.samples.length;
  }

  /**
   * Forgets that the last onset fired, so the next sample where a rule holds fires again.
   * For an onset that could not be acted on (another container's capture was running):
   * the contention is still there and must not be lost to the edge trigger.
   */
  rearm(): void {
    this.firing = false;
  }

  observe(value: number, threshold: DetectorThreshold): Verdict {
    const n = this.samples.length;
    const floor = threshold.floorPercent;
    this.floorRun = floor !== undefined && value > floor ? this.floorRun + 1 : 0;
    const overFloor = floor !== undefined && this.floorRun >= Math.max(1, threshold.floorIntervals ?? 1);
    let spike = false;
    let stats = { threshold: Number.NaN, mean: Number.NaN, std: Number.NaN };
    const warmingUp = n < this.warmupSamples;
    if (!warmingUp) {
      const mean = this.samples.reduce((s, v) => s + v, 0) / n;
      const std = Math.sqrt(this.samples.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
      const limit = Math.max(threshold.minThreshold, mean + Math.max(threshold.k * std, threshold.minRise ?? 0));
      spike = value > limit;
      stats = { threshold: limit, mean, std };
    }
    const holds = spike || overFloor;
    const fire = holds && !this.firing;
    this.firing = holds;
    this.samples.push(value);
    if (this.samples.length > this.capacity) this.samples.shift();
    return { fire, ...(fire ? { rule: spike ? ('spike' as const) : ('floor' as const) } : {}), ...stats, warmingUp, floorRun: this.floorRun };
  }
}
