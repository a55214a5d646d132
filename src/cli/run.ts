// `autotracer run [--config file.json]`: the agent itself. Embedded defaults when no config
// is given. Returns the exit status: 0 clean shutdown after a signal, 1 fatal runtime
// failure (e.g. storage over its restart budget, so systemd restarts the agent), 2 bad
// configuration. Loaded only by `run` (the client commands do not need the supervisor).
import { hostname } from 'node:os';
import { ConfigError } from '../config/errors.js';
import { loadAgentConfig, storageSpecFrom, tracerSpecsFrom, defaultStorageModulePath } from '../config/load.js';
import type { AgentConfig, TracerEntryConfig } from '../config/schema.js';
import { Supervisor, type LogLevel } from '../supervisor/supervisor.js';
import { AgentMetrics } from '../metrics/agent-metrics.js';
import { startHttpServer, type RunningHttpServer } from '../http/server.js';
import { scheduleStartupTrim } from './memory-tuning.js';

/** How `run --only` and `dev` narrow and tune the configured agent. */
export interface AgentRunOptions {
  /** Run only these tracers (each enabled even if the config has it off); the others are off. */
  only?: readonly string[];
  /** Run these tracers in child processes (a native crash cannot take the agent down). */
  processIsolation?: readonly string[];
  /** Log debug lines too (as AUTOTRACER_LOG_LEVEL=debug). */
  debug?: boolean;
  /** Called once the supervisor started; the returned function runs at shutdown. */
  onStarted?: (supervisor: Supervisor, log: (level: LogLevel, msg: string) => void) => (() => void) | undefined;
}

/**
 * `--only a,b`: exactly these tracers run, whatever `enabled` says in the config. An unknown
 * name is a configuration error (exit 2) that lists the known ones.
 */
export function applyRunOptions(config: AgentConfig, options: AgentRunOptions): AgentConfig {
  const tracers = config.tracers as Record<string, TracerEntryConfig>;
  const known = Object.keys(tracers);
  for (const name of [...(options.only ?? []), ...(options.processIsolation ?? [])]) {
    if (!known.includes(name)) throw new ConfigError('CONFIG_INVALID', `--only: unknown tracer "${name}" (known: ${known.join(', ')})`);
  }
  const narrowed = Object.fromEntries(known.map((name) => {
    const entry = tracers[name]!;
    return [name, {
      ...entry,
      ...(options.only !== undefined ? { enabled: options.only.includes(name) } : {}),
      ...(options.processIsolation?.includes(name) === true ? { isolation: 'process' as const } : {}),
    }];
  }));
  return { ...config, tracers: narrowed as AgentConfig['tracers'] };
}


async function checkConfigOnHangup(configFile: string | undefined, running: AgentConfig, options: AgentRunOptions, log: (level: LogLevel, msg: string) => void): Promise<void> {
  if (configFile === undefined) {
    log('info', 'SIGHUP: no config file (embedded defaults); nothing to reload, logs go to stderr');
    return;
  }
  try {
    // Compared as it would run: `--only`/`dev` narrow the file's tracers the same way again.
    const next = applyRunOptions(await loadAgentConfig(configFile), options);
    const changed = JSON.stringify(next) !== JSON.stringify(running);
    log('info', `SIGHUP: ${configFile} is valid${changed ? ' and differs from the running configuration; restart the agent to apply it' : ', unchanged'}`);
  } catch (err) {
    log('warn', `SIGHUP: ${configFile} is not valid (${(err as Error).message.replace(/\s*\n\s*/g, '; ')}); the agent keeps running with the configuration it started with`);
  }
}


export async function runAgent(configFile: string | undefined, options: AgentRunOptions = {}): Promise<number> {
  let config;
  try {
    config = applyRunOptions(await loadAgentConfig(configFile), options);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`autotracer: ${err.message}`);
      return 2;
    }
    throw err;
  }
  // Test hook: a different storage actor module (the in-memory fixture).
  const storageModule = process.env.AUTOTRACER_STORAGE_MODULE || defaultStorageModulePath;
  const minLevel = process.env.AUTOTRACER_LOG_LEVEL === 'debug' || options.debug === true ? 0 : 1;
  const levels: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  const supervisor = new Supervisor({
    storage: storageSpecFrom(config, storageModule),
    tracers: tracerSpecsFrom(config),
    lookback: config.supervisor.lookback,
    log: (level, msg) => {
      if (levels[level] >= minLevel) console.error(`${new Date().toISOString()} ${level} ${msg}`);
    },
  });

  const log = (level: LogLevel, msg: string): void => {
    if (levels[level] >= minLevel) console.error(`${new Date().toISOString()} ${level} ${msg}`);
  };
  // One Prometheus registry for the whole agent, in this (the main) thread.
  const metrics = new AgentMetrics({
    status: () => supervisor.status(),
    host: config.metrics.host ?? config.storage.hostname ?? hostname(),
    region: config.metrics.region ?? config.storage.region,
    defaultMetrics: config.metrics.defaultMetrics,
    eventLoopResolutionMs: config.metrics.eventLoopResolutionMs,
  });
  // Started before the supervisor so /healthz answers and /readyz says "not yet" during
  // start-up. A port already in use is logged, not fatal: tracing and storage are the
  // agent's job, the API is how people look at it.
  let http: RunningHttpServer | undefined;
  if (config.http.enabled) {
    try {
      http = await startHttpServer({ agent: supervisor, metrics, config: config.http, log });
    } catch (err) {
      log('error', `autotracer: HTTP API not started: ${(err as Error).message}`);
    }
  }

  let stopHook: (() => void) | undefined;
  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => (resolveExit = r));
  let shuttingDown = false;
  const shutdown = async (code: number, why: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.error(`${new Date().toISOString()} info shutting down (${why})`);
    stopHook?.();
    // The API goes first: no trigger may reach a tracer that is being stopped.
    await http?.close().catch((err: unknown) => console.error(`autotracer: HTTP close failed: ${String(err)}`));
    await supervisor.stop().catch((err: unknown) => console.error(`autotracer: shutdown failed: ${String(err)}`));
    resolveExit(code);
  };
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  // SIGHUP's default action killed the agent (exit 129), e.g. when a terminal closed or a
  // logrotate postrotate sent it. Logs go to stderr (journald), so there is nothing to
  // reopen; the configuration is re-read and checked, and applies at the next restart.
  process.on('SIGHUP', () => void checkConfigOnHangup(configFile, config, options, log));
  supervisor.on('fatal', (err) => void shutdown(1, err.message));
  // One line per stored event, for every tracer (a tracer may log more about its capture).
  supervisor.on('tracer', (e) => {
    if (e.type === 'stored') for (const id of e.tracerIds) log('info', `event stored: tracer ${e.tracer}, id ${id}`);
  });

  try {
    await supervisor.start();
  } catch (err) {
    console.error(`autotracer: start failed: ${(err as Error).message}`);
    await shutdown(1, 'start failed');
    return exit;
  }
  scheduleStartupTrim();
  const running = supervisor.status().actors.map((a) => `${a.name}=${a.state}`).join(' ');
  console.error(`${new Date().toISOString()} info autotracer running (pid ${process.pid}): ${running}`);
  stopHook = options.onStarted?.(supervisor, log);
  return exit;
}
