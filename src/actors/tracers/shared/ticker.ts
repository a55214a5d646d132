// A drift-free ticker shared by cpusys and cpuidle: ticks on a fixed grid from the start;
// ticks missed while a capture blocked the loop are dropped (HUATUO's time.Ticker does the
// same), so a long capture never causes a burst of catch-up samples.
import { setTimeout as sleep } from 'node:timers/promises';

export class Ticker {
  private readonly origin = performance.now();
  private n = 0;

  constructor(private readonly periodMs: number) {}

  /** The grid point last waited for (0 before the first next()); it skips the ones dropped. */
  get index(): number {
    return this.n;
  }

  /** Waits for the next grid point still in the future; false when the signal aborted. */
  async next(signal: AbortSignal): Promise<boolean> {
    const now = performance.now();
    this.n = Math.max(this.n + 1, Math.ceil((now - this.origin) / this.periodMs));
    const wait = this.origin + this.n * this.periodMs - now;
    try {
      await sleep(Math.max(0, wait), undefined, { signal });
      return true;
    } catch {
      return false;
    }
  }
}
