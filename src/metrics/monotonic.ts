// Keeps counters monotonic when their source restarts from zero. Actors report running
// totals "since this instance started"; when a total goes down, the instance was replaced,
// so everything counted before is carried as an offset. (Increments made by a dying
// instance after the last report are lost: an undercount, never a reset or a double count.)
export class MonotonicTotals {
  private readonly series = new Map<string, { last: number; offset: number }>();

  /** The exported value for a raw running total. */
  value(key: string, raw: number): number {
    const s = this.series.get(key);
    if (s === undefined) {
      this.series.set(key, { last: raw, offset: 0 });
      return raw;
    }
    if (raw < s.last) s.offset += s.last;
    s.last = raw;
    return s.offset + raw;
  }
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}
