// Settings of the cpuidle tracer (the `settings` object of tracers.cpuidle in the config).
// Defaults are HUATUO HEAD's [AutoTracing.CPUIdle] code defaults (the UsageThreshold comment
// in huatuo-bamai.conf says 45; the code says 90, which is what we take).
import { z } from 'zod';
import { containersConfigSchema } from '../../../containers/config.js';

const percent = z.number().int().min(0).max(100);

export const cpuIdleSettingsSchema = z.strictObject({
  userThreshold: percent.default(75),
  sysThreshold: percent.default(45),
  /** HUATUO's UsageThreshold: the total (user + sys) percent. */
  usageThreshold: percent.default(90),
  deltaUserThreshold: percent.default(45),
  deltaSysThreshold: percent.default(20),
  deltaUsageThreshold: percent.default(55),
  /** Seconds between two samples of every container. */
  intervalSeconds: z.number().min(0.05).max(3600).default(10),
  /** Length of the container-scoped profile (seconds); HUATUO's RunTracingToolTimeout. */
  captureSeconds: z.number().min(0.1).max(600).default(10),
  /** Profile sampling frequency per CPU (Hz). */
  frequency: z.number().int().min(1).max(10_000).default(99),
  /** How the profile is scoped to the container (see docs/capture.md). */
  cgroupMethod: z.enum(['auto', 'perf-cgroup', 'bpf-filter']).default('auto'),
  /** The container resolver's configuration; `containers.filter` is HUATUO's CPUIdle Filter. */
  containers: containersConfigSchema,
});

export type CpuIdleSettings = z.infer<typeof cpuIdleSettingsSchema>;
export type CpuIdleSettingsInput = z.input<typeof cpuIdleSettingsSchema>;
