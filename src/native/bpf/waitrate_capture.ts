// TS side of waitrate_capture.bpf.c / waitrate_capture.h (checked against BTF by test/waitrate).
import { array, char, defineLayout, u32, u64 } from '../layout.js';

export const WAITRATE_CAPTURE_OBJECT = 'waitrate_capture';
export const WRC_MATRIX_MAP = 'matrix';
export const WRC_COMMS_MAP = 'comms';
export const WRC_HIST_MAP = 'hist';
export const WRC_STATS_MAP = 'stats';
export const WRC_RING = 64;
export const WRC_HIST_SLOTS = 32;
/** Competitor id of an idle CPU: the victim waited although nothing ran (scheduling latency). */
export const WRC_IDLE_CGROUP = 0n;

export const wrcKeyLayout = defineLayout('wrc_key', {
  victim_cgroup: u64,
  competitor_cgroup: u64,
  competitor_tgid: u32,
  pad: u32,
});
export const wrcHistLayout = defineLayout('wrc_hist', { slots: array(u64, WRC_HIST_SLOTS) });
export const wrcSliceLayout = defineLayout('wrc_slice', { start_ns: u64, end_ns: u64, cgroup: u64, tgid: u32, pad: u32 });
export const wrcTaskLayout = defineLayout('wrc_task', { t_start: u64, t0: u64, cgroup: u64, cpu: u32, pad: u32 });
export const commLayout = char(16);

export const WrcStat = {
  waits: 0,
  waitNs: 1,
  attributedNs: 2,
  truncated: 3,
  matrixFull: 4,
  histFull: 5,
  commsFull: 6,
  migratedNs: 7,
} as const;
export const WRC_STAT_NR = 8;
export type WrcStatName = keyof typeof WrcStat;
export type WrcStats = Record<WrcStatName, bigint>;

export function waitrateCaptureRodata(options: { targetCgroup?: bigint; trackRoot?: boolean } = {}): Record<string, number | bigint> {
  return { target_cgroup: options.targetCgroup ?? 0n, track_root: options.trackRoot === true ? 1 : 0 };
}

interface MapSource {
  map(name: string): {
    lookupPerCpu(key: Buffer): Buffer[] | undefined;
    entriesPerCpu(): Array<{ key: Buffer; values: Buffer[] }>;
    entries(): Array<{ key: Buffer; value: Buffer }>;
  };
}

/** One cell of the victim x competitor matrix, per CPU (index = CPU id). */
export interface MatrixCell {
  victimCgroup: bigint;
  competitorCgroup: bigint;
  competitorTgid: number;
  perCpuNs: bigint[];
}

export function readMatrix(object: MapSource): MatrixCell[] {
  return object.map(WRC_MATRIX_MAP).entriesPerCpu().map(({ key, values }) => {
    const k = wrcKeyLayout.decode(key);
    return {
      victimCgroup: k.victim_cgroup,
      competitorCgroup: k.competitor_cgroup,
      competitorTgid: k.competitor_tgid,
      perCpuNs: values.map((v) => v.readBigUInt64LE(0)),
    };
  });
}

/** tgid -> comm of host processes seen running during the window. */
export function readComms(object: MapSource): Map<number, string> {
  const out = new Map<number, string>();
  for (const { key, value } of object.map(WRC_COMMS_MAP).entries()) out.set(key.readUInt32LE(0), commLayout.read(value, 0));
  return out;
}

/** Victim cgroup -> log2(µs) wait histogram summed over CPUs. */
export function readHistograms(object: MapSource): Map<bigint, number[]> {
  const out = new Map<bigint, number[]>();
  for (const { key, values } of object.map(WRC_HIST_MAP).entriesPerCpu()) {
    const sum = new Array<number>(WRC_HIST_SLOTS).fill(0);
    for (const v of values) wrcHistLayout.decode(v).slots.forEach((n, i) => (sum[i] = (sum[i] ?? 0) + Number(n)));
    out.set(key.readBigUInt64LE(0), sum);
  }
  return out;
}

export function readCaptureStats(object: MapSource): WrcStats {
  const stats = object.map(WRC_STATS_MAP);
  const out = {} as WrcStats;
  for (const [name, slot] of Object.entries(WrcStat) as Array<[WrcStatName, number]>) {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(slot);
    out[name] = (stats.lookupPerCpu(key) ?? []).reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n);
  }
  return out;
}
