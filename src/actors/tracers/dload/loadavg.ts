// The kernel's fixed-point load average (kernel/sched/loadavg.c: calc_load, FSHIFT 11),
// with one difference that matters: the decay factor is derived from the ACTUAL sampling
// interval. The kernel's EXP_1 = 1884 is 1/exp(5 s / 60 s) because it samples every 5 s;
// HUATUO reused it with a 10 s sample, so its "1-minute" average spanned ~2 minutes.
export const FSHIFT = 11;
export const FIXED_1 = 1 << FSHIFT; // 2048 = 1.0

/**
 * FIXED_1 / exp(interval / window), rounded to the nearest integer as the kernel's constants
 * are (EXP_1 = 1884 for 5 s / 60 s, EXP_5 = 2014 for 5 s / 300 s, EXP_15 = 2037).
 */
export function decayFactor(intervalSeconds: number, windowSeconds: number): number {
  if (!(intervalSeconds > 0) || !(windowSeconds > 0)) throw new RangeError('interval and window must be > 0');
  return Math.round(FIXED_1 / Math.exp(intervalSeconds / windowSeconds));
}

/**
 * One step of calc_load(): load' = (load*exp + active*(FIXED_1-exp)) / FIXED_1 where active
 * is n tasks scaled by FIXED_1; like the kernel it rounds up while the load is rising
 * (so a constant n converges to n instead of stalling just below it) and truncates while
 * it falls. Integer arithmetic on safe integers (loads up to ~2^30 tasks).
 */
export function calcLoad(load: number, exp: number, active: number): number {
  let next = load * exp + active * (FIXED_1 - exp);
  if (active >= load) next += FIXED_1 - 1;
  return Math.floor(next / FIXED_1);
}

/** The kernel's LOAD_INT/LOAD_FRAC display (with its FIXED_1/200 rounding), as a number with 2 decimals. */
export function loadToNumber(load: number): number {
  const x = load + Math.floor(FIXED_1 / 200);
  const int = x >> FSHIFT;
  const frac = ((x & (FIXED_1 - 1)) * 100) >> FSHIFT;
  return int + frac / 100;
}

/** A 1-minute load average fed with a task count every `intervalSeconds`. */
export class LoadAverage {
  private load = 0;
  readonly exp: number;

  constructor(intervalSeconds: number, windowSeconds = 60) {
    this.exp = decayFactor(intervalSeconds, windowSeconds);
  }

  update(tasks: number): number {
    this.load = calcLoad(this.load, this.exp, Math.max(0, Math.round(tasks)) * FIXED_1);
    return this.load;
  }

  /** The fixed-point value (FIXED_1 = 1.0). */
  get raw(): number {
    return this.load;
  }

  get value(): number {
    return loadToNumber(this.load);
  }
}
