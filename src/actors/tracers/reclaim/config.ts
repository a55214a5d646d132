// Settings of the direct-reclaim event tracer (tracers.reclaim.settings).
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

export const reclaimSettingsSchema = z.strictObject({
  /** A direct reclaim lasting at least this long is an event (HUATUO BlockedThreshold, 900 ms). */
  thresholdMs: z.number().min(0).default(900),
  /** HUATUO records only tasks inside containers; false also records host tasks. */
  containersOnly: z.boolean().default(false),
  containers: containersConfigSchema,
});
export type ReclaimSettings = z.infer<typeof reclaimSettingsSchema>;
