// Settings of the oom event tracer (tracers.oom.settings).
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

export const oomSettingsSchema = z.strictObject({
  procRoot: z.string().regex(/^\//).default('/proc'),
  containers: containersConfigSchema,
});
export type OomSettings = z.infer<typeof oomSettingsSchema>;
