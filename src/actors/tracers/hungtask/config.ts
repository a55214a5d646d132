// Settings of the hungtask event tracer (tracers.hungtask.settings).
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

export const hungtaskSettingsSchema = z.strictObject({
  /** Other D-state tasks on the host listed with their stacks (HUATUO: sysrq-w). */
  maxOtherBlocked: z.number().int().min(0).max(1000).default(20),
  procRoot: z.string().regex(/^\//).default('/proc'),
  containers: containersConfigSchema,
});
export type HungtaskSettings = z.infer<typeof hungtaskSettingsSchema>;
