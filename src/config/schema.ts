// The agent configuration schema (zod 4). Every field has a default, so `{}` (no config
// file) is the embedded default. Objects are strict: an unknown key is an error with its
// path, never silently ignored.
import { z } from 'zod';
import { builtinTracers } from '../actors/tracers/catalog.js';
import { storageConfigSchema } from '../storage/config.js';

const ms = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

export const restartSchema = z
  .strictObject({
    initialDelayMs: ms(1, 3_600_000, 1000),
    maxDelayMs: ms(1, 3_600_000, 30_000),
    factor: z.number().min(1).max(10).default(2),
    jitter: z.number().min(0).max(1).default(0.2),
    budgetCount: z.number().int().min(0).max(1000).default(3),
    budgetWindowMs: ms(1, 86_400_000, 300_000),
    disabledInitialMs: ms(1, 86_400_000, 10_000),
    disabledMaxMs: ms(1, 86_400_000, 300_000),
    healthyResetMs: ms(1, 86_400_000, 600_000),
  })
  .prefault({});

function tracerEntrySchema(settingsSchema: z.ZodType) {
  return z
    .strictObject({
      enabled: z.boolean().default(false),
      isolation: z.enum(['thread', 'process']).default('thread'),
      /** Trigger cooldown (HUATUO's IntervalTracing), global or per key. */
      cooldownSeconds: z.number().min(0).max(86_400 * 30).default(1800),
      restart: restartSchema,
      heartbeatMs: ms(10, 60_000, 1000),
      missedHeartbeats: z.number().int().min(1).max(100).default(3),
      shutdownMs: ms(10, 600_000, 5000),
      killAfterMs: ms(10, 600_000, 2000),
      startTimeoutMs: ms(100, 600_000, 10_000),
      metricsIntervalMs: ms(100, 3_600_000, 10_000),
      maxOldGenerationSizeMb: z.number().int().min(16).max(65_536).optional(),
      settings: settingsSchema.prefault({}),
    })
    .prefault({});
}

const tracersShape = Object.fromEntries(
  Object.entries(builtinTracers).map(([name, entry]) => [name, tracerEntrySchema(entry.settingsSchema)]),
);

export const agentConfigSchema = z.strictObject({
  storage: storageConfigSchema.prefault({}),
  supervisor: z
    .strictObject({
      storage: z
        .strictObject({
          restart: restartSchema,
          heartbeatMs: ms(10, 60_000, 1000),
          missedHeartbeats: z.number().int().min(1).max(100).default(3),
          shutdownMs: ms(10, 600_000, 10_000),
          startTimeoutMs: ms(100, 600_000, 30_000),
          mailboxMaxEvents: z.number().int().min(1).max(10_000_000).default(100_000),
        })
        .prefault({}),
    })
    .prefault({}),
  tracers: z.strictObject(tracersShape).prefault({}),
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type TracerEntryConfig = z.infer<ReturnType<typeof tracerEntrySchema>>;
