// Settings of the cpusys tracer (the `settings` object of tracers.cpusys in the config).
// Defaults are HUATUO HEAD's [AutoTracing.CPUSys]: SysThreshold 45, DeltaSysThreshold 20,
// Interval 10 s, IntervalTracing 1800 s, RunTracingToolTimeout 10 s (perf at 99 Hz).
import { z } from 'zod';

const percent = z.number().int().min(0).max(100);

export const cpuSysSettingsSchema = z.strictObject({
  /** Trigger when host sys% is above this (strict)... */
  sysThreshold: percent.default(45),
  /** ...and it rose by more than this many points since the previous sample (strict). */
  deltaSysThreshold: percent.default(20),
  /** Seconds between two /proc/stat samples. */
  intervalSeconds: z.number().min(0.05).max(3600).default(10),
  /**
   * /proc/stat is also read every this many seconds inside the interval, to report the
   * interval's peak sub-interval next to its mean (system_percent_peak). Values ≥
   * intervalSeconds read once per interval (peak = mean).
   */
  subIntervalSeconds: z.number().min(0.05).max(3600).default(1),
  /** Length of the system-wide profile (seconds); HUATUO's RunTracingToolTimeout. */
  captureSeconds: z.number().min(0.1).max(600).default(10),
  /** Profile sampling frequency per CPU (Hz). */
  frequency: z.number().int().min(1).max(10_000).default(99),
  /** Directory holding `stat` (HUATUO's --procfs-prefix + /proc); tests point it at a fixture. */
  procRoot: z.string().regex(/^\//, 'must be an absolute path').default('/proc'),
});

export type CpuSysSettings = z.infer<typeof cpuSysSettingsSchema>;
export type CpuSysSettingsInput = z.input<typeof cpuSysSettingsSchema>;
