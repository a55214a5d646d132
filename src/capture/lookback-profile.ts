// Turns a look-back slice into a profile: the same symbolization job (and pool) as a
// capture, with the maps of the sampled processes snapshotted now (the slice carries only
// addresses; a process that exited since shows [unknown] user frames).
import { flamedataFromFolded, type FlameFrame, type FoldedStack } from './flamedata.js';
import type { LookbackSlice } from './lookback-window.js';
import { snapshotMaps, type ProcessMaps } from './proc-maps.js';
import { runSymbolizeJob } from './symbolize-pool.js';
import type { RawSample, StackRef, SymbolizeJob, SymbolizeStats } from './symbolize.js';

export interface LookbackProfile {
  fromMs: number;
  toMs: number;
  coveredFromMs: number;
  frequency: number;
  samples: number;
  overflow: number;
  folded: FoldedStack[];
  flamedata: FlameFrame[];
  symbolization?: SymbolizeStats;
}

/** Numbers each distinct stack once into `table` (id -> frames); a lost or empty stack is a StackRef of its own. */
function stackInterner<In extends Array<string | number>, Out>(table: Array<[number, Out]>, frames: (ips: In) => Out): (lost: boolean, ips: In) => StackRef {
  const ids = new Map<string, number>();
  return (lost, ips) => {
    if (lost) return 'lost';
    if (ips.length === 0) return 'none';
    const key = ips.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
      table.push([id, frames(ips)]);
    }
    return id;
  };
}

/** The symbolization job of a slice (pure except for the maps snapshots). */
export function lookbackJob(slice: LookbackSlice, snapshot: (tgid: number) => ProcessMaps | undefined = snapshotMaps): SymbolizeJob {
  const kernelStacks: Array<[number, bigint[]]> = [];
  const userStacks: Array<[number, number[]]> = [];
  const samples: RawSample[] = [];
  const kernelRef = stackInterner(kernelStacks, (ips: string[]) => ips.map((ip) => BigInt(`0x${ip}`)));
  const userRef = stackInterner(userStacks, (ips: number[]) => ips);
  const withUser = new Set<number>();
  for (const s of slice.stacks) {
    const user = userRef(s.userLost, s.user);
    if (typeof user === 'number' && s.tgid !== 0) withUser.add(s.tgid);
    samples.push({ tgid: s.tgid, pid: s.tgid, comm: s.comm, kernel: kernelRef(s.kernelLost, s.kernel), user, count: s.count });
  }
  const maps: ProcessMaps[] = [];
  for (const tgid of withUser) {
    const m = snapshot(tgid);
    if (m !== undefined) maps.push(m);
  }
  return { samples, kernelStacks, userStacks, maps };
}

/** Symbolizes a slice in the capture pool. Throws CAPTURE_SYMBOLIZE_FAILED. */
export async function profileFromLookback(slice: LookbackSlice): Promise<LookbackProfile> {
  const base = { fromMs: slice.fromMs, toMs: slice.toMs, coveredFromMs: slice.coveredFromMs, frequency: slice.frequency, samples: slice.samples, overflow: slice.overflow };
  if (slice.stacks.length === 0) return { ...base, folded: [], flamedata: flamedataFromFolded([]) };
  const { folded, flamedata, stats } = await runSymbolizeJob(lookbackJob(slice));
  return { ...base, folded, flamedata, symbolization: stats };
}
