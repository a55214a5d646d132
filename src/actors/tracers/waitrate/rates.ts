// Pure math: counter deltas of one interval -> the four HUATUO-style rates (+ latency).
//
// Denominator (percent of "wait + run" time, as HUATUO's cpu_stat did):
//   D = Δwait + Δthrottled + Δrun
// where Δwait = Δ(inner + external + latency) run-queue wait of the container's tasks (BPF,
// charged at switch-in, like /proc/<pid>/schedstat), Δthrottled = Δcpu.stat throttled_time
// (CFS bandwidth: time its run queues were throttled, tasks are then off the run queue so
// this does not overlap Δwait), Δrun = Δ CPU usage of the container.
//   wait_rate          = 100 (Δwait + Δthrottled) / D
//   inner_wait_rate    = 100 Δinner / D     (the CPU ran the same container)
//   external_wait_rate = 100 Δexternal / D  (it ran another container or a host task)
//   latency_wait_rate  = 100 Δlatency / D   (it was idle: wake-up / scheduling delay)
//   throttle_wait_rate = 100 Δthrottled / D
// so wait = inner + external + latency + throttle exactly. HUATUO's exter_wait_rate is
// external + latency (it had no idle split).

export interface IntervalDelta {
  waitNs: number;
  innerNs: number;
  externalNs: number;
  latencyNs: number;
  throttledNs: number;
  runNs: number;
}

export interface WaitRates {
  wait_rate: number;
  inner_wait_rate: number;
  external_wait_rate: number;
  latency_wait_rate: number;
  throttle_wait_rate: number;
}

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

export function computeRates(delta: IntervalDelta): WaitRates {
  const inner = nonNegative(delta.innerNs);
  const external = nonNegative(delta.externalNs);
  const latency = nonNegative(delta.latencyNs);
  const throttled = nonNegative(delta.throttledNs);
  const run = nonNegative(delta.runNs);
  const wait = inner + external + latency;
  const denominator = wait + throttled + run;
  if (denominator === 0) return { wait_rate: 0, inner_wait_rate: 0, external_wait_rate: 0, latency_wait_rate: 0, throttle_wait_rate: 0 };
  const pct = (n: number): number => (100 * n) / denominator;
  return {
    wait_rate: pct(wait + throttled),
    inner_wait_rate: pct(inner),
    external_wait_rate: pct(external),
    latency_wait_rate: pct(latency),
    throttle_wait_rate: pct(throttled),
  };
}

/** Difference of two cumulative readings; a reset (cgroup recreated, map cleared) gives 0. */
export function counterDelta(now: bigint | number, before: bigint | number): number {
  const d = Number(now) - Number(before);
  return d > 0 ? d : 0;
}

/**
 * CPU-time the container was busy or wanted to be (wait + throttle + run) as a percent of
 * one CPU over the interval. Rates of a nearly idle container are ratios of tiny numbers
 * (one delayed wake-up can read as 50 %), so the detector ignores intervals below a floor.
 */
export function activityPercent(delta: IntervalDelta, elapsedNs: number): number {
  if (!(elapsedNs > 0)) return 0;
  const busy = nonNegative(delta.innerNs) + nonNegative(delta.externalNs) + nonNegative(delta.latencyNs) + nonNegative(delta.throttledNs) + nonNegative(delta.runNs);
  return (100 * busy) / elapsedNs;
}
