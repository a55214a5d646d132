// Restart policy of one supervised child: exponential restart delay with jitter, a crash
// budget per sliding window, a circuit breaker (disabled, retried with its own backoff),
// and a reset after a long healthy run. Pure: the clock and the random source are injected
// so the real defaults are unit-tested without waiting.

export interface RestartPolicyConfig {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** ±fraction applied to every delay (0.2 = ±20 %). */
  jitter: number;
  /** More than `budgetCount` crashes within `budgetWindowMs` opens the circuit. */
  budgetCount: number;
  budgetWindowMs: number;
  disabledInitialMs: number;
  disabledMaxMs: number;
  /** A child running this long since its last start has its history forgotten. */
  healthyResetMs: number;
}

/** The single source of these defaults: the config schema's `restart` blocks take theirs from here. */
export const defaultRestartPolicy: Readonly<RestartPolicyConfig> = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.2,
  budgetCount: 3,
  budgetWindowMs: 300_000,
  disabledInitialMs: 10_000,
  disabledMaxMs: 300_000,
  healthyResetMs: 600_000,
});

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number }
  | { action: 'disable'; delayMs: number; attempt: number };

export class RestartPolicy {
  private crashTimes: number[] = [];
  private consecutiveRestarts = 0;
  private consecutiveDisables = 0;
  private lastStartAt: number | undefined;

  constructor(
    private readonly config: RestartPolicyConfig,
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** The child is up (ready and started). */
  started(): void {
    this.lastStartAt = this.clock();
  }

  /** Crashes currently counted against the budget. */
  crashesInWindow(): number {
    this.prune(this.clock());
    return this.crashTimes.length;
  }

  onCrash(): RestartDecision {
    const now = this.clock();
    if (this.lastStartAt !== undefined && now - this.lastStartAt >= this.config.healthyResetMs) this.reset();
    this.lastStartAt = undefined;
    this.crashTimes.push(now);
    this.prune(now);
    if (this.crashTimes.length > this.config.budgetCount) {
      this.consecutiveDisables++;
      this.consecutiveRestarts = 0;
      const base = this.grow(this.config.disabledInitialMs, this.consecutiveDisables, this.config.disabledMaxMs);
      return { action: 'disable', delayMs: this.jittered(base), attempt: this.consecutiveDisables };
    }
    this.consecutiveRestarts++;
    const base = this.grow(this.config.initialDelayMs, this.consecutiveRestarts, this.config.maxDelayMs);
    return { action: 'restart', delayMs: this.jittered(base), attempt: this.consecutiveRestarts };
  }

  reset(): void {
    this.crashTimes = [];
    this.consecutiveRestarts = 0;
    this.consecutiveDisables = 0;
  }

  private prune(now: number): void {
    const horizon = now - this.config.budgetWindowMs;
    this.crashTimes = this.crashTimes.filter((t) => t > horizon);
  }

  private grow(initial: number, attempt: number, max: number): number {
    return Math.min(initial * this.config.factor ** (attempt - 1), max);
  }

  private jittered(ms: number): number {
    return Math.round(ms * (1 + this.config.jitter * (2 * this.random() - 1)));
  }
}
