// One interval timer per distinct period, shared by every subscriber with that period.
// Each actor's watchdog used its own 1 s setInterval, armed at its own moment: nine
// wake-ups of the main thread a second where one does the same work.
export class TickGroup {
  private readonly groups = new Map<number, { timer: NodeJS.Timeout; subscribers: Set<() => void> }>();

  /** Calls `fn` every `periodMs` (on the shared timer); returns the unsubscribe function. */
  every(periodMs: number, fn: () => void): () => void {
    let group = this.groups.get(periodMs);
    if (group === undefined) {
      const subscribers = new Set<() => void>();
      // A copy: a subscriber may unsubscribe itself (or another) while the group runs.
      const timer = setInterval(() => {
        for (const s of [...subscribers]) s();
      }, periodMs);
      group = { timer, subscribers };
      this.groups.set(periodMs, group);
    }
    const entry = (): void => fn();
    group.subscribers.add(entry);
    const owner = group;
    return () => {
      owner.subscribers.delete(entry);
      if (owner.subscribers.size === 0 && this.groups.get(periodMs) === owner) {
        clearInterval(owner.timer);
        this.groups.delete(periodMs);
      }
    };
  }

  /** Timers alive (for tests). */
  get timers(): number {
    return this.groups.size;
  }
}

/** The agent's watchdog clock: every actor of one supervisor process shares it. */
export const watchdogTicks = new TickGroup();
