// The agent configuration of a soak run: everything inside the run's temp dir (LMDB,
// token), port 0, Elasticsearch pointed at the loopback fake, every tracer enabled with
// lowered thresholds and short cooldowns so the workloads make them fire, some tracers in
// process isolation (the only place a native SIGSEGV is survivable), a heap cap on every
// tracer (so an injected heap-oom is an `oom`, not a long GC thrash), and a restart budget
// large enough that the injected crashes never disable a tracer.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentConfigSchema } from '../../src/config/schema.js';
import { SOAK_CGROUP_ROOT } from './cgroups.js';
import { SoakError } from './errors.js';

export const CANARY = 'example';
export const CANARY_PERIOD_MS = 1000;
/** Heap cap of every tracer: the injected heap-oom grows to it. */
export const TRACER_HEAP_MB = 192;

/** Tracers in process isolation; the others run in worker threads. */
export const PROCESS_TRACERS = ['cpuidle', 'dload', 'iotracing', 'oom'] as const;

export interface SoakConfigInput {
  dir: string;
  esUrl: string;
  token: string;
  loopDevice: string | undefined;
  /** storage.path; default <dir>/data. The disk-full phase puts it on a small tmpfs. */
  storagePath?: string;
}

export function soakConfig(input: SoakConfigInput): Record<string, unknown> {
  const containers = { plainRoots: [SOAK_CGROUP_ROOT], scanRoots: [] };
  const common = (name: string) => ({
    enabled: true,
    isolation: (PROCESS_TRACERS as readonly string[]).includes(name) ? 'process' : 'thread',
    cooldownSeconds: 10,
    maxOldGenerationSizeMb: TRACER_HEAP_MB,
    // The soak runs on a small shared machine (load average 10+ on 2 CPUs measured while
    // other suites ran): a hang is declared after 8 missed 1 s heartbeats instead of 3, and
    // a start may take 30 s, so CPU starvation is not reported as a tracer crash.
    missedHeartbeats: 8,
    startTimeoutMs: 30_000,
    restart: { initialDelayMs: 200, maxDelayMs: 2000, budgetCount: 1000, budgetWindowMs: 300_000 },
  });
  return {
    storage: {
      path: input.storagePath ?? join(input.dir, 'data'),
      fsync: 'os',
      elasticsearch: {
        urls: [input.esUrl],
        // Below the fake's "slow" delay: slow phases time out, are retried and meet 409s.
        requestTimeoutMs: 2000,
        maxLatencyMs: 200,
        backoff: { initialMs: 200, maxMs: 2000 },
      },
    },
    http: { port: 0, token: input.token, tokenFile: join(input.dir, 'api-token') },
    metrics: { defaultMetrics: false },
    // The storage actor's watchdog, relaxed for the same reason as the tracers' (below).
    supervisor: { storage: { missedHeartbeats: 8 } },
    tracers: {
      // The canary: fires about every second (threshold 0, cooldown 1 s); never faulted.
      example: { ...common('example'), cooldownSeconds: CANARY_PERIOD_MS / 1000, settings: { loadThreshold: 0, sampleMs: 100 } },
      cpusys: { ...common('cpusys'), settings: { sysThreshold: 5, deltaSysThreshold: 3, intervalSeconds: 1, captureSeconds: 1 } },
      cpuidle: {
        ...common('cpuidle'),
        settings: {
          userThreshold: 5, sysThreshold: 5, usageThreshold: 5, deltaUserThreshold: 3, deltaSysThreshold: 3, deltaUsageThreshold: 3,
          intervalSeconds: 1, captureSeconds: 1, containers,
        },
      },
      dload: { ...common('dload'), settings: { intervalSeconds: 1, threshold: 0.5, containers } },
      memburst: { ...common('memburst'), settings: { intervalSeconds: 1, windowSamples: 5, burstPercent: 40, anonPercent: 0 } },
      iotracing: {
        ...common('iotracing'),
        settings: {
          intervalSeconds: 1, durationSeconds: 1,
          thresholds: { utilPercent: 5, readMBps: 1, writeMBps: 1, awaitMs: 1 },
          ...(input.loopDevice !== undefined ? { devices: { include: [`^${input.loopDevice}$`] } } : {}),
          containers,
        },
      },
      waitrate: {
        ...common('waitrate'),
        settings: {
          intervalSeconds: 1, captureSeconds: 1, warmupSamples: 3, windowMinutes: 1,
          thresholds: { default: { k: 1, minThreshold: 1 } }, containers,
        },
      },
      // Driven by a writer on a frozen fs and by OOM kills in the soak's "oom" cgroup
      // (bench/soak/workloads.ts); containers so the victim is named by its soak cgroup.
      hungtask: { ...common('hungtask'), settings: { containers } },
      oom: { ...common('oom'), settings: { containers } },
      reclaim: common('reclaim'),
    },
  };
}

/** Validates with the agent's own schema (a drift fails here, naming the key) and writes it. */
export function writeSoakConfig(input: SoakConfigInput): string {
  const config = soakConfig(input);
  const parsed = agentConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new SoakError('SOAK_SETUP_FAILED', `soak config invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const file = join(input.dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}
