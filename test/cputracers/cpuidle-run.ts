// Starts a CpuIdleTracer through start() with a test context and records its ticks (shared
// by the cpuidle tests).
import type { CpuIdleSettings } from '../../src/actors/tracers/cpuidle/config.js';
import { CpuIdleTracer, type CpuIdleTick } from '../../src/actors/tracers/cpuidle/index.js';
import { testContext, type TestContext } from '../support/tracer-context.js';

export interface CpuIdleRun {
  tracer: CpuIdleTracer;
  ctx: TestContext<CpuIdleSettings>;
  ticks: CpuIdleTick[];
  running: Promise<void>;
  /** The error start() failed with, if it did. */
  failure(): unknown;
}

export function startCpuIdle(settings: CpuIdleSettings, signal: AbortSignal): CpuIdleRun {
  const ctx = testContext<CpuIdleSettings>('cpuidle', settings, signal);
  const tracer = new CpuIdleTracer();
  const ticks: CpuIdleTick[] = [];
  tracer.onTick = (t) => ticks.push(t);
  let error: unknown;
  const running = tracer.start(ctx).catch((err: unknown) => void (error = err));
  return { tracer, ctx, ticks, running, failure: () => error };
}
