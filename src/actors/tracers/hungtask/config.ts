// Settings of the hungtask event tracer (tracers.hungtask.settings).
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

export const hungtaskSettingsSchema = z.strictObject({
  /**
   * khungtaskd reports a task again at every check while it stays blocked: one event per
   * task per this many seconds (HUATUO throttles with a 10 min+ backoff).
   */
  cooldownSeconds: z.number().positive().default(600),
  /** Other D-state tasks on the host listed with their stacks (HUATUO: sysrq-w). */
  maxOtherBlocked: z.number().int().min(0).max(1000).default(20),
  procRoot: z.string().regex(/^\//).default('/proc'),
  containers: containersConfigSchema,
});
export type HungtaskSettings = z.infer<typeof hungtaskSettingsSchema>;
