// Settings of the waitrate tracer (the `settings` object of tracers.waitrate in the config).
// Defaults follow HUATUO's [Tracing.Waitrate] SampleConfig (5 s samples, 360 of them = 30 min,
// 15 s capture) and the detector (k = 3, min 20 %).
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

const thresholdSchema = z.strictObject({
  /** Spike when wait_rate > mean + k * std of the window... */
  k: z.number().nonnegative(),
  /** ...and > minThreshold (percent)... */
  minThreshold: z.number().min(0).max(100),
  /** ...and more than this many points over the mean (a steady history has std ≈ 0: noise is not a spike). */
  minRise: z.number().min(0).max(100).default(5),
  /** Absolute floor: wait_rate over this percent for floorIntervals consecutive samples fires, without history (100 disables it). */
  floorPercent: z.number().min(0).max(100).default(30),
  floorIntervals: z.number().int().min(1).max(10_000).default(3),
});
export type Threshold = z.infer<typeof thresholdSchema>;

export const waitrateSettingsSchema = z.strictObject({
  /** Sampling interval of the always-on counters (seconds). */
  intervalSeconds: z.number().min(0.1).max(3600).default(5),
  /** How long the competitor capture stays attached after a spike (seconds). */
  captureSeconds: z.number().min(0.1).max(600).default(15),
  /** History used for mean/std (minutes). */
  windowMinutes: z.number().min(0.1).max(24 * 60).default(30),
  /** Samples a container needs in its window before the detector may fire. */
  warmupSamples: z.number().int().min(1).default(12),
  /** Detector thresholds: `default`, overridden per Kubernetes QoS class. */
  thresholds: z
    .strictObject({
      default: thresholdSchema.default({ k: 3, minThreshold: 20, minRise: 5, floorPercent: 30, floorIntervals: 3 }),
      guaranteed: thresholdSchema.optional(),
      burstable: thresholdSchema.optional(),
      besteffort: thresholdSchema.optional(),
    })
    .prefault({}),
  /**
   * The detector skips intervals in which the container's wait + throttle + run time is
   * below this percent of one CPU (rates of idle containers are noise). Metrics are still exported.
   */
  minActivityPercent: z.number().min(0).max(10_000).default(5),
  /** Competitors listed in an event. */
  topCompetitors: z.number().int().min(1).max(1000).default(10),
  /** Also account waits of root-cgroup (host) tasks (their metrics use container_id "host"). */
  trackRoot: z.boolean().default(false),
  /** max_entries of the per-CPU cgroup hash (overflow is counted, never silent). */
  maxCgroups: z.number().int().min(16).max(1 << 20).default(4096),
  /** The container resolver's configuration: ctx.containers is built from it (docs/runtime.md, "Containers in a tracer"). */
  containers: containersConfigSchema,
});

export type WaitrateSettings = z.infer<typeof waitrateSettingsSchema>;
export type WaitrateSettingsInput = z.input<typeof waitrateSettingsSchema>;
