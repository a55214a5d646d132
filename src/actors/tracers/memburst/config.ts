// Settings of the memburst tracer (the `settings` object of tracers.memburst in the config).
// Defaults follow HUATUO's [AutoTracing.MemoryBurst]: DeltaMemoryBurst 100 %,
// DeltaAnonThreshold 70 %, Interval 10 s, SlidingWindowLength 60, DumpProcessMaxNum 10.
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

export const memburstSettingsSchema = z.strictObject({
  /** Seconds between two samples of /proc/meminfo. */
  intervalSeconds: z.number().min(0.05).max(3600).default(10),
  /** Samples in the sliding window; the oldest is (windowSamples − 1) intervals old. */
  windowSamples: z.number().int().min(2).max(100_000).default(60),
  /** Fire when anon ≥ (1 + burstPercent/100) × the oldest sample of the window... */
  burstPercent: z.number().min(0).max(100_000).default(100),
  /** ...and anon ≥ anonPercent % of MemTotal. */
  anonPercent: z.number().min(0).max(100).default(70),
  /** Processes listed in each top list (by RSS, by anon growth). */
  topN: z.number().int().min(1).max(10_000).default(10),
  /** procfs root: meminfo is read from <procRoot>/meminfo, processes from <procRoot>/<pid>/status. */
  procRoot: z.string().regex(/^\//).default('/proc'),
  /** The container resolver's configuration (names each process's container). */
  containers: containersConfigSchema,
});

export type MemburstSettings = z.infer<typeof memburstSettingsSchema>;
export type MemburstSettingsInput = z.input<typeof memburstSettingsSchema>;
