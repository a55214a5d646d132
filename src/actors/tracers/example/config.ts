// Settings of the example tracer (the `settings` object of tracers.example in the config).
import { z } from 'zod';

export const exampleSettingsSchema = z.strictObject({
  /** Fire when the 1-minute load average reaches this (0: always, which tests use). */
  loadThreshold: z.number().nonnegative().default(4),
  /** How often the detector samples /proc/loadavg. */
  sampleMs: z.number().int().min(10).max(600_000).default(1000),
});

export type ExampleSettings = z.infer<typeof exampleSettingsSchema>;
