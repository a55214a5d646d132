// The built-in tracers: where each one's module lives and how its settings are validated
// at config-load time (so a bad value fails the agent start with exit 2, not the actor).
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { exampleSettingsSchema } from './example/config.js';
import { waitrateSettingsSchema } from './waitrate/config.js';
import { cpuSysSettingsSchema } from './cpusys/config.js';
import { cpuIdleSettingsSchema } from './cpuidle/config.js';
import { dloadSettingsSchema } from './dload/config.js';
import { memburstSettingsSchema } from './memburst/config.js';
import { iotracingSettingsSchema } from './iotracing/config.js';
import { hungtaskSettingsSchema } from './hungtask/config.js';
import { oomSettingsSchema } from './oom/config.js';
import { reclaimSettingsSchema } from './reclaim/config.js';

export interface CatalogEntry {
  modulePath: string;
  settingsSchema: z.ZodType;
  /** Enabled in the embedded default configuration. */
  enabledByDefault: boolean;
  /** Default of tracers.<name>.cooldownSeconds when not 1800 s (the supervisor's default). */
  cooldownSeconds?: number;
}

function modulePath(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

export const builtinTracers: Readonly<Record<string, CatalogEntry>> = {
  example: { modulePath: modulePath('./example/index.js'), settingsSchema: exampleSettingsSchema, enabledByDefault: false },
  cpusys: { modulePath: modulePath('./cpusys/index.js'), settingsSchema: cpuSysSettingsSchema, enabledByDefault: true },
  cpuidle: { modulePath: modulePath('./cpuidle/index.js'), settingsSchema: cpuIdleSettingsSchema, enabledByDefault: true },
  // /proc sampling only, no BPF; idle cost in docs/dload.md and docs/memburst.md.
  dload: { modulePath: modulePath('./dload/index.js'), settingsSchema: dloadSettingsSchema, enabledByDefault: true },
  memburst: { modulePath: modulePath('./memburst/index.js'), settingsSchema: memburstSettingsSchema, enabledByDefault: true },
  // iotracing: a per-device cooldown HUATUO lacks, 600 s.
  iotracing: { modulePath: modulePath('./iotracing/index.js'), settingsSchema: iotracingSettingsSchema, enabledByDefault: true, cooldownSeconds: 600 },
  // Kernel events (tracer_type "event"): each is unavailable where its tracepoint is missing.
  // hungtask: khungtaskd repeats its report at every check while a task stays blocked: one event
  // per task per 600 s (HUATUO throttles with a 10 min+ backoff).
  hungtask: { modulePath: modulePath('./hungtask/index.js'), settingsSchema: hungtaskSettingsSchema, enabledByDefault: true, cooldownSeconds: 600 },
  oom: { modulePath: modulePath('./oom/index.js'), settingsSchema: oomSettingsSchema, enabledByDefault: true },
  reclaim: { modulePath: modulePath('./reclaim/index.js'), settingsSchema: reclaimSettingsSchema, enabledByDefault: true },
  // Opt-in: its BPF runs on every context switch of the host (cost in docs/waitrate.md).
  waitrate: { modulePath: modulePath('./waitrate/index.js'), settingsSchema: waitrateSettingsSchema, enabledByDefault: false },
};
