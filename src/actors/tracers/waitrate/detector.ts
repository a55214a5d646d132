// Pure spike detector for one container's wait_rate series.
//
// Rule: a sample x is a spike when x > max(minThreshold, mean + k * std) of the window of
// previous samples (population std; the window holds the last `capacity` samples, e.g.
// 30 min / 5 s = 360). Warm-up: no verdict until the window holds `warmupSamples`.
// Edge-triggered: it fires on the onset of a spike and re-arms only after a sample under
// the threshold, so sustained contention is one event (the cooldown limits re-fires too).
// Every sample, spiking or not, joins the window afterwards (as HUATUO's dataset did).

export interface DetectorThreshold {
  k: number;
  minThreshold: number;
}

export interface Verdict {
  fire: boolean;
  /** The threshold the sample was compared with (NaN during warm-up). */
  threshold: number;
  mean: number;
  std: number;
  warmingUp: boolean;
}

export class SpikeDetector {
  private readonly samples: number[] = [];
  private spiking = false;

  constructor(
    private readonly capacity: number,
    private readonly warmupSamples: number,
  ) {}

  get size(): number {
    return this.samples.length;
  }

  observe(value: number, threshold: DetectorThreshold): Verdict {
    const n = this.samples.length;
    let verdict: Verdict;
    if (n < this.warmupSamples) {
      verdict = { fire: false, threshold: Number.NaN, mean: Number.NaN, std: Number.NaN, warmingUp: true };
    } else {
      const mean = this.samples.reduce((s, v) => s + v, 0) / n;
      const std = Math.sqrt(this.samples.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
      const limit = Math.max(threshold.minThreshold, mean + threshold.k * std);
      const above = value > limit;
      verdict = { fire: above && !this.spiking, threshold: limit, mean, std, warmingUp: false };
      this.spiking = above;
    }
    this.samples.push(value);
    if (this.samples.length > this.capacity) this.samples.shift();
    return verdict;
  }
}
