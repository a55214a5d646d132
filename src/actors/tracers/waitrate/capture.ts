// The capture window: attach the competitor program for `seconds`, then read who held the
// CPUs while the victim waited, and its wait histogram.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  readCaptureStats,
  readComms,
  readHistograms,
  readMatrix,
  waitrateCaptureRodata,
  WAITRATE_CAPTURE_OBJECT,
  WRC_HIST_SLOTS,
  type MatrixCell,
  type WrcStats,
} from '../../../native/bpf/waitrate_capture.js';
import type { BpfOpener } from './core.js';

export interface RawCapture {
  seconds: number;
  cells: MatrixCell[];
  comms: Map<number, string>;
  /** log2(µs) slots of the victim's waits. */
  histogram: number[];
  stats: WrcStats;
}

/** Attaches for `seconds` (cut short when `signal` aborts), reads, and always closes. */
export async function captureCompetitors(
  open: BpfOpener,
  options: { victimCgroup: bigint; seconds: number; signal?: AbortSignal; trackRoot?: boolean },
): Promise<RawCapture> {
  const object = await open(WAITRATE_CAPTURE_OBJECT, {
    rodata: waitrateCaptureRodata({ targetCgroup: options.victimCgroup, trackRoot: options.trackRoot ?? false }),
  });
  try {
    object.attach();
    const started = Date.now();
    await sleep(options.seconds * 1000, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    object.detach();
    return {
      seconds: (Date.now() - started) / 1000,
      cells: readMatrix(object),
      comms: readComms(object),
      histogram: readHistograms(object).get(options.victimCgroup) ?? new Array<number>(WRC_HIST_SLOTS).fill(0),
      stats: readCaptureStats(object),
    };
  } finally {
    object.close();
  }
}
