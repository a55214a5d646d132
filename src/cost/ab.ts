// `autotracer cost --ab`: one tracer's effect on the built-in pinned ping-pong, on vs off in
// interleaved rounds (the order flips each round, so a drift of the machine hits both sides).
// A round's figure per side is its best run: interference only slows a run down, a per-switch
// cost slows every run (bench/lib/pipe.ts says more). The noise floor is how far the "off"
// rounds scatter around their own median: a slowdown below it is not a measurement.

/** One tracer's A/B figures (rendered by cli/cost-format.ts). */
export interface AbResult {
  tracer: string;
  offOpsPerSecond: number;
  onOpsPerSecond: number;
  slowdownPercent: number;
  noiseFloorPercent: number;
  rounds: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function abSummary(tracer: string, on: readonly number[], off: readonly number[]): AbResult {
  const offMedian = median(off);
  const onMedian = median(on);
  return {
    tracer,
    offOpsPerSecond: offMedian,
    onOpsPerSecond: onMedian,
    slowdownPercent: offMedian > 0 ? 100 * (1 - onMedian / offMedian) : 0,
    noiseFloorPercent: offMedian > 0 ? (100 * median(off.map((x) => Math.abs(x - offMedian)))) / offMedian : 0,
    rounds: Math.min(on.length, off.length),
  };
}

export interface AbControl {
  stop(tracer: string): Promise<void>;
  start(tracer: string): Promise<void>;
  /** One workload run, round trips per second. */
  run(): Promise<number>;
}

/** Interleaved rounds; leaves the tracer running (as found) even when a run fails. */
export async function runAb(tracer: string, rounds: number, bestOf: number, control: AbControl): Promise<AbResult> {
  const on: number[] = [];
  const off: number[] = [];
  const best = async (): Promise<number> => {
    let top = 0;
    for (let i = 0; i < bestOf; i++) top = Math.max(top, await control.run());
    return top;
  };
  let running = true;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        if (side === 'off' && running) {
          await control.stop(tracer);
          running = false;
        }
        if (side === 'on' && !running) {
          await control.start(tracer);
          running = true;
        }
        (side === 'on' ? on : off).push(await best());
      }
    }
  } finally {
    if (!running) await control.start(tracer);
  }
  return abSummary(tracer, on, off);
}
