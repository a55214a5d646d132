// Settings of the dload tracer (the `settings` object of tracers.dload in the config).
// Defaults follow HUATUO's [AutoTracing.Dload] (ThresholdLoad 5, Interval 10 s,
// IntervalTracing 1800 s) and its IssuesList, written as {name, pattern} objects.
import { z } from 'zod';
import { regexSchema } from '../../../common/schema.js';
import { containersConfigSchema } from '../../../containers/config.js';
import { DEFAULT_IOWAIT_FRAMES } from './counts.js';

export const dloadSettingsSchema = z.strictObject({
  /** Seconds between two counts of every container's tasks (the EMA decay follows it). */
  intervalSeconds: z.number().min(0.1).max(300).default(10),
  /** Fire when the 1-minute D-only load average is strictly above this. */
  threshold: z.number().positive().default(5),
  /** Known issues: the first pattern matching the container's D-task stacks names the event's known_issue. */
  knownIssues: z.array(z.strictObject({ name: z.string().min(1), pattern: regexSchema })).default([]),
  /** Also capture the D tasks of the whole host (HUATUO does). */
  captureHost: z.boolean().default(true),
  /** At most this many D tasks are listed per section (container, host); the counts stay exact. */
  maxStackTasks: z.number().int().min(1).max(100_000).default(200),
  /** A D task counts in nr_iowait when one of its kernel frames matches this regex. */
  iowaitFrames: regexSchema.default(DEFAULT_IOWAIT_FRAMES),
  /** procfs mount (tests and chroots). */
  procRoot: z.string().regex(/^\//).default('/proc'),
  /** The container resolver's configuration: ctx.containers is built from it (docs/runtime.md, "Containers in a tracer"). */
  containers: containersConfigSchema,
});

export type DloadSettings = z.infer<typeof dloadSettingsSchema>;
export type DloadSettingsInput = z.input<typeof dloadSettingsSchema>;
