// Pure: the capture matrix (victim x competitor, per CPU) -> the victim's competitors
// ranked by the share of its wait they caused.

export interface MatrixCellInput {
  victimCgroup: bigint;
  competitorCgroup: bigint;
  competitorTgid: number;
  perCpuNs: bigint[];
}

export type CompetitorKind = 'container' | 'cgroup' | 'host_process' | 'idle' | 'self';

export interface NamedCompetitor {
  kind: CompetitorKind;
  /** Container id, `cgroup:<v2 id>` for an unknown cgroup, `pid:<tgid>` for a host process, `idle`, `self`. */
  id: string;
  name: string;
}

export interface RankedCompetitor extends NamedCompetitor {
  wait_ns: number;
  /** Percent of the victim's attributed wait. */
  share: number;
  per_cpu: Array<{ cpu: number; wait_ns: number }>;
}

export interface Ranking {
  attributed_wait_ns: number;
  /** Waiting behind its own container (inner), percent. */
  inner_share: number;
  /** Waiting while the CPU was idle (scheduling latency), percent. */
  idle_share: number;
  competitors: RankedCompetitor[];
}

/**
 * `name(cgroup, tgid)` tells who a competitor is (resolver lookup, comm of a host process).
 * Self and idle are reported as shares and excluded from `competitors`.
 */
export function rankCompetitors(
  cells: readonly MatrixCellInput[],
  victim: bigint,
  name: (cgroup: bigint, tgid: number) => NamedCompetitor,
  top: number,
): Ranking {
  const byId = new Map<string, { who: NamedCompetitor; perCpu: number[] }>();
  let total = 0;
  for (const cell of cells) {
    if (cell.victimCgroup !== victim) continue;
    const who: NamedCompetitor =
      cell.competitorCgroup === victim
        ? { kind: 'self', id: 'self', name: 'self' }
        : cell.competitorCgroup === 0n
          ? { kind: 'idle', id: 'idle', name: 'idle' }
          : name(cell.competitorCgroup, cell.competitorTgid);
    const entry = byId.get(who.id) ?? { who, perCpu: [] };
    cell.perCpuNs.forEach((ns, cpu) => {
      entry.perCpu[cpu] = (entry.perCpu[cpu] ?? 0) + Number(ns);
      total += Number(ns);
    });
    byId.set(who.id, entry);
  }
  const sum = (xs: number[]): number => xs.reduce((s, v) => s + (v ?? 0), 0);
  const pct = (ns: number): number => (total > 0 ? (100 * ns) / total : 0);
  const competitors = [...byId.values()]
    .filter((e) => e.who.kind !== 'self' && e.who.kind !== 'idle')
    .map((e) => {
      const waitNs = sum(e.perCpu);
      return {
        ...e.who,
        wait_ns: waitNs,
        share: pct(waitNs),
        per_cpu: e.perCpu.map((ns, cpu) => ({ cpu, wait_ns: ns ?? 0 })).filter((c) => c.wait_ns > 0),
      };
    })
    .sort((a, b) => b.wait_ns - a.wait_ns)
    .slice(0, top);
  return {
    attributed_wait_ns: total,
    inner_share: pct(sum(byId.get('self')?.perCpu ?? [])),
    idle_share: pct(sum(byId.get('idle')?.perCpu ?? [])),
    competitors,
  };
}

/** Histogram slots (log2 µs) -> readable buckets, empty ones dropped. */
export function histogramBuckets(slots: readonly number[]): Array<{ le_us: number; count: number }> {
  return slots.map((count, i) => ({ le_us: 2 ** (i + 1), count })).filter((b) => b.count > 0);
}
