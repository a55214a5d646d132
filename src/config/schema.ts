// The agent configuration schema (zod 4). Every field has a default, so `{}` (no config
// file) is the embedded default. Objects are strict: an unknown key is an error with its
// path, never silently ignored.
import { z } from 'zod';
import { builtinTracers, type CatalogEntry } from '../actors/tracers/catalog.js';
import { containersConfigSchema } from '../containers/config.js';
import { storageConfigSchema } from '../storage/config.js';
import { defaultRestartPolicy as restartDefaults } from '../supervisor/restart-policy.js';
import { tracerSpecDefaults as tracerDefaults } from '../supervisor/spec.js';

const ms = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

export const restartSchema = z
  .strictObject({
    // Defaults: the supervisor's (restart-policy.ts), the one source; the bounds are the config's.
    initialDelayMs: ms(1, 3_600_000, restartDefaults.initialDelayMs),
    maxDelayMs: ms(1, 3_600_000, restartDefaults.maxDelayMs),
    factor: z.number().min(1).max(10).default(restartDefaults.factor),
    jitter: z.number().min(0).max(1).default(restartDefaults.jitter),
    budgetCount: z.number().int().min(0).max(1000).default(restartDefaults.budgetCount),
    budgetWindowMs: ms(1, 86_400_000, restartDefaults.budgetWindowMs),
    disabledInitialMs: ms(1, 86_400_000, restartDefaults.disabledInitialMs),
    disabledMaxMs: ms(1, 86_400_000, restartDefaults.disabledMaxMs),
    healthyResetMs: ms(1, 86_400_000, restartDefaults.healthyResetMs),
  })
  .prefault({});

// Supervision defaults come from the supervisor (spec.ts, tracerSpecDefaults), the one source.
function tracerEntrySchema(settingsSchema: z.ZodType, catalog: CatalogEntry) {
  return z
    .strictObject({
      /** Defaults to the catalog's choice (src/actors/tracers/catalog.ts). */
      enabled: z.boolean().default(catalog.enabledByDefault),
      isolation: z.enum(['thread', 'process']).default(tracerDefaults.isolation),
      /**
       * Trigger cooldown (HUATUO's IntervalTracing), global or per key: the tracer's one
       * cooldown knob. Its default is the catalog's (hungtask, iotracing: 600 s), else 1800 s.
       * The old `settings.cooldownSeconds` is lifted here at load (config/deprecated.ts).
       */
      cooldownSeconds: z.number().min(0).max(86_400 * 30).default(catalog.cooldownSeconds ?? tracerDefaults.cooldownSeconds),
      restart: restartSchema,
      heartbeatMs: ms(10, 60_000, tracerDefaults.heartbeatMs),
      missedHeartbeats: z.number().int().min(1).max(100).default(tracerDefaults.missedHeartbeats),
      shutdownMs: ms(10, 600_000, tracerDefaults.shutdownMs),
      killAfterMs: ms(10, 600_000, tracerDefaults.killAfterMs),
      startTimeoutMs: ms(100, 600_000, tracerDefaults.startTimeoutMs),
      metricsIntervalMs: ms(100, 3_600_000, tracerDefaults.metricsIntervalMs),
      maxOldGenerationSizeMb: z.number().int().min(16).max(65_536).optional(),
      /**
       * Count run time and run count of the tracer's BPF programs (bpf_enable_stats), held
       * while it has BPF objects open. While any stats handle is open the kernel times ALL
       * BPF programs on the host, about 20 ns per invocation: so off by default (issue 13.3);
       * `autotracer cost` and the bench switch them on for their measuring window only.
       */
      bpfStats: z.boolean().default(tracerDefaults.bpfStats),
      settings: settingsSchema.prefault({}),
    })
    .prefault({});
}

const tracersShape = Object.fromEntries(
  Object.entries(builtinTracers).map(([name, entry]) => [name, tracerEntrySchema(entry.settingsSchema, entry)]),
);

/** The HTTP API and /metrics (src/http, docs/http-api.md). Loopback only by default. */
export const httpConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Never 0.0.0.0 by default: the API can trigger captures. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(19704),
    /** Bearer token for state-changing endpoints; when absent, read or generated at tokenFile. */
    token: z.string().min(16).optional(),
    /** Created 0600 with a random token at first start when missing. */
    tokenFile: z.string().min(1).default('/var/lib/autotracer/api-token'),
    /** Request bodies larger than this are refused with 413. */
    maxBodyBytes: z.number().int().min(64).max(16 * 1024 * 1024).default(64 * 1024),
    /** Longest accepted request URL (path + query), 414 beyond. */
    maxUrlBytes: z.number().int().min(256).max(65_536).default(8192),
    /**
     * Open connections at most (lowered to a quarter of the open-file limit). Near the cap the
     * oldest idle connection is closed for a new one; requests in flight are never cut.
     */
    maxConnections: z.number().int().min(8).max(65_536).default(512),
    /** A connection that has not sent complete request headers within this is closed. */
    headersTimeoutMs: ms(1000, 600_000, 10_000),
    /**
     * Host header names accepted besides localhost, IP literals and `host` (DNS rebinding
     * guard): the names clients use to reach an agent bound to a non-loopback address.
     */
    allowedHosts: z.array(z.string().min(1).max(253).regex(/^[A-Za-z0-9.-]+$/, 'expected a host name without port')).max(64).default([]),
    /** Byte budget of one GET /api/v1/events page; the rest comes with the cursor. */
    maxPageBytes: z.number().int().min(64 * 1024).max(512 * 1024 * 1024).default(4 * 1024 * 1024),
    watch: z
      .strictObject({
        /** Concurrent /api/v1/events/watch streams; one more gets 429. */
        maxSubscribers: z.number().int().min(1).max(10_000).default(100),
        /** Documents buffered per slow subscriber before the oldest is dropped (and counted). */
        bufferEvents: z.number().int().min(1).max(100_000).default(256),
        /** SSE comment sent this often so proxies and clients see a live stream. */
        keepAliveMs: ms(100, 600_000, 30_000),
      })
      .prefault({}),
  })
  .prefault({});

/** Prometheus labels added to every series (docs/metrics.md). */
export const metricsConfigSchema = z
  .strictObject({
    /** `host` label; defaults to storage.hostname, else os.hostname(). */
    host: z.string().min(1).optional(),
    /** `region` label; defaults to storage.region. */
    region: z.string().optional(),
    /** process_* and nodejs_* from prom-client (main thread only). */
    defaultMetrics: z.boolean().default(true),
    /**
     * How often the event-loop lag histogram (nodejs_eventloop_lag_*) samples the main loop.
     * prom-client's 10 ms wakes the agent 100 times a second: measured 0.85 % of a core on an
     * idle host, more than every tracer together. A stall longer than this is always seen.
     */
    eventLoopResolutionMs: z.number().int().min(10).max(10_000).default(200),
  })
  .prefault({});

export const agentConfigSchema = z.strictObject({
  storage: storageConfigSchema.prefault({}),
  http: httpConfigSchema,
  metrics: metricsConfigSchema,
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
      // The look-back sampler that gives cpusys/cpuidle/dload events their `before` profile.
      lookback: z
        .strictObject({
          enabled: z.boolean().default(true),
          frequency: z.number().int().min(1).max(999).default(19),
          seconds: z.number().int().min(5).max(600).default(30),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * The container resolver of every tracer that has one (written once here, not per tracer);
   * a tracer's own `settings.containers` overrides it key by key (config/shared-containers.ts).
   */
  containers: containersConfigSchema,
  tracers: z.strictObject(tracersShape).prefault({}),
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type HttpConfig = z.infer<typeof httpConfigSchema>;
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;
export type TracerEntryConfig = z.infer<ReturnType<typeof tracerEntrySchema>>;
