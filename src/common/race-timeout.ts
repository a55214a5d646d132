// Waiting for something that may never happen (an actor's exit, its answer) with a bound:
// the timer is always cleared, so a settled wait leaves nothing behind that keeps the
// process alive or fires later.

/** `p`'s value, or 'timeout' when `ms` pass first. */
export async function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
