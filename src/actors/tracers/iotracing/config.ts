// Settings of the iotracing tracer (the `settings` object of tracers.iotracing). Defaults
// follow HUATUO's [AutoTracing.IOTracing] (util 90 %, read 2000 MB/s, write 1500 MB/s,
// await 100 ms, 10 s capture, 10 processes x 5 files, 5 s interval) plus the per-device
// cooldown HUATUO lacks (tracers.iotracing.cooldownSeconds, 600 s: the catalog's default).
import { z } from 'zod';
import { regexSchema } from '../../../common/schema.js';
import { containersConfigSchema } from '../../../containers/config.js';

export const iotracingSettingsSchema = z.strictObject({
  /** Seconds between two /proc/diskstats readings. */
  intervalSeconds: z.number().min(0.1).max(3600).default(5),
  /** procfs root (tests replay fixture diskstats through it). */
  procRoot: z.string().regex(/^\//).default('/proc'),
  devices: z
    .strictObject({
      /** Device-name regexes; when non-empty only matching devices are watched. */
      include: z.array(regexSchema).default([]),
      /** Device-name regexes never watched (["^md"] = HUATUO's md exclusion). */
      exclude: z.array(regexSchema).default([]),
    })
    .prefault({}),
  thresholds: z
    .strictObject({
      utilPercent: z.number().positive().default(90),
      readMBps: z.number().positive().default(2000),
      writeMBps: z.number().positive().default(1500),
      awaitMs: z.number().positive().default(100),
    })
    .prefault({}),
  /** How long the BPF capture stays attached (seconds). */
  durationSeconds: z.number().min(0.1).max(600).default(10),
  maxProcesses: z.number().int().min(1).max(1000).default(10),
  maxFilesPerProcess: z.number().int().min(1).max(1000).default(5),
  maxBlockedStacks: z.number().int().min(1).max(1000).default(10),
  /** Uninterruptible sleeps shorter than this are not recorded (µs). */
  blockedMinUs: z.number().int().min(0).default(1000),
  /** false: the capture records only the anomalous device; true: every device. */
  captureAllDevices: z.boolean().default(false),
  containers: containersConfigSchema,
});

export type IotracingSettings = z.infer<typeof iotracingSettingsSchema>;
export type IotracingSettingsInput = z.input<typeof iotracingSettingsSchema>;
