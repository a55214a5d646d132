// Child specifications: everything the supervisor needs to run one child, already
// resolved from the agent config (or built directly by tests and benchmarks).
import type { Isolation } from '../actors/protocol.js';
import { defaultRestartPolicy, type RestartPolicyConfig } from './restart-policy.js';

export interface TracerSpec {
  name: string;
  /** Compiled module that calls registerTracer(name, ...). */
  modulePath: string;
  isolation: Isolation;
  /**
   * The tracer's `settings`. Raw in a spec built by hand: the supervisor validates it (catalog
   * tracers) when the actor spawns. Already parsed when `settingsValidated` is set.
   */
  settings: unknown;
  /**
   * `settings` came out of the agent's config schema (config load parsed the whole file):
   * the supervisor passes them on as they are instead of validating them a second time.
   */
  settingsValidated?: boolean;
  cooldownSeconds: number;
  restart: RestartPolicyConfig;
  heartbeatMs: number;
  /** Missed heartbeats before a hung actor is killed. */
  missedHeartbeats: number;
  /** Graceful stop budget (stop message), then terminate/SIGTERM. */
  shutdownMs: number;
  /** After terminate/SIGTERM, wait this long before SIGKILL. */
  killAfterMs: number;
  /** Loading the module and running the factory must finish within this. */
  startTimeoutMs: number;
  callTimeoutMs: number;
  triggerTimeoutMs: number;
  metricsIntervalMs: number;
  batch: { maxEvents: number; maxDelayMs: number };
  maxOldGenerationSizeMb?: number;
  /** Count BPF program run time while the tracer has BPF objects open (see ActorInit.bpfStats). */
  bpfStats: boolean;
  /** Roots the tracer reads procfs and sysfs under (TracerContext.procRoot / sysRoot). */
  procRoot: string;
  sysRoot: string;
}

export interface StorageSpec {
  /** Worker module speaking src/storage/protocol.ts; defaults to the real storage actor. */
  modulePath: string;
  config: unknown;
  /** `config` was parsed by the agent's config schema: the actor skips its own parse (and zod). */
  configValidated?: boolean;
  restart: RestartPolicyConfig;
  /** Heartbeat watchdog, armed after the first storage heartbeat. */
  heartbeatMs: number;
  missedHeartbeats: number;
  shutdownMs: number;
  startTimeoutMs: number;
  /** Tracer events held while storage restarts (drop-oldest beyond this). */
  mailboxMaxEvents: number;
}

/**
 * The defaults of a tracer's supervision, the single source: the config schema
 * (src/config/schema.ts) takes its `.default()`s from here, and tracerSpec() fills a spec
 * built by hand (tests, benchmarks, embedding) with the same values. docs/config.md lists them
 * (test/config/defaults.test.ts holds the three together).
 */
export const tracerSpecDefaults = Object.freeze({
  isolation: 'thread' as Isolation,
  /** Per-tracer defaults (hungtask, iotracing: 600) are the catalog's `cooldownSeconds`. */
  cooldownSeconds: 1800,
  heartbeatMs: 1000,
  missedHeartbeats: 3,
  shutdownMs: 5000,
  killAfterMs: 2000,
  startTimeoutMs: 10_000,
  metricsIntervalMs: 10_000,
  bpfStats: false,
});

export function tracerSpec(partial: Partial<TracerSpec> & Pick<TracerSpec, 'name' | 'modulePath'>): TracerSpec {
  return {
    ...tracerSpecDefaults,
    settings: {},
    restart: { ...defaultRestartPolicy },
    callTimeoutMs: 5000,
    triggerTimeoutMs: 60_000,
    batch: { maxEvents: 256, maxDelayMs: 50 },
    procRoot: '/proc',
    sysRoot: '/sys',
    ...partial,
  };
}
