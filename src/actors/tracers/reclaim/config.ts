// Settings of the direct-reclaim event tracer (tracers.reclaim.settings).
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

export const reclaimSettingsSchema = z.strictObject({
  /** A direct reclaim lasting at least this long is an event (HUATUO BlockedThreshold, 900 ms). */
  thresholdMs: z.number().min(0).default(900),
  /**
   * Memory-cgroup limit reclaim (mm_vmscan_memcg_reclaim_*): a memory cgroup whose tasks
   * spent at least memcgThresholdMs reclaiming within one memcgWindowMs window is an event
   * (one per window, then at most one per memcgCooldownSeconds per cgroup). 0 turns it off.
   */
  memcgThresholdMs: z.number().min(0).default(100),
  memcgWindowMs: z.number().min(1).max(60_000).default(1000),
  memcgCooldownSeconds: z.number().min(0).default(60),
  /** HUATUO records only tasks inside containers; false also records host tasks. */
  containersOnly: z.boolean().default(false),
  containers: containersConfigSchema,
});
export type ReclaimSettings = z.infer<typeof reclaimSettingsSchema>;
