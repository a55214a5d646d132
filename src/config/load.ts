// Loads and validates the agent configuration, and turns it into supervisor specs.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { builtinTracers } from '../actors/tracers/catalog.js';
import { tracerSpec, type StorageSpec, type TracerSpec } from '../supervisor/spec.js';
import { liftSettingsCooldowns, type ConfigWarn } from './deprecated.js';
import { ConfigError } from './errors.js';
import { agentConfigSchema, type AgentConfig, type TracerEntryConfig } from './schema.js';
import { applySharedContainers } from './shared-containers.js';

export const defaultStorageModulePath = fileURLToPath(new URL('../storage/actor.js', import.meta.url));

export interface LoadOptions {
  /** Deprecated keys are reported here, one line each; default: stderr. */
  warn?: ConfigWarn;
}

const warnOnStderr: ConfigWarn = (message) => console.error(`autotracer: warning: ${message}`);

/**
 * The one validation of the configuration, tracers' settings included: what comes out is
 * passed on typed and parsed (specs carry `settingsValidated`), never parsed again.
 */
export function parseAgentConfig(raw: unknown, options: LoadOptions = {}): AgentConfig {
  const current = liftSettingsCooldowns(raw ?? {}, options.warn ?? warnOnStderr);
  const result = agentConfigSchema.safeParse(current);
  if (result.success) return applySharedContainers(result.data, current);
  const problems = result.error.issues.map(describeIssue);
  throw new ConfigError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, problems);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path === '(root)' ? k : `${path}.${k}`));
    return `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
  }
  return `${path}: ${issue.message}`;
}

export async function loadAgentConfig(file: string | undefined, options: LoadOptions = {}): Promise<AgentConfig> {
  if (file === undefined) return parseAgentConfig({}, options);
  const text = await readConfigFile(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CONFIG_NOT_JSON', `${file} is not valid JSON: ${(err as Error).message}`, [], { cause: err });
  }
  // `null` (or `[]`, `3`) is not "no configuration": a file that says nothing useful is
  // most likely a templating accident, and silently running on defaults would hide it.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`;
    const problem = `(root): expected a JSON object ({} for all defaults), got ${got}`;
    throw new ConfigError('CONFIG_INVALID', `invalid configuration:\n  ${problem}`, [problem]);
  }
  return parseAgentConfig(raw, options);
}

/**
 * Reads a regular file only. Opened non-blocking and checked with fstat before reading: a
 * FIFO as the config path used to hang the agent (and check-config) waiting for a writer.
 */
async function readConfigFile(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, [], { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
      throw new ConfigError('CONFIG_UNREADABLE', `cannot read ${file}: it is ${kind}; the configuration must be a regular JSON file`);
    }
    if (st.size > maxConfigBytes) throw new ConfigError('CONFIG_UNREADABLE', `cannot read ${file}: ${st.size} bytes, a configuration is at most ${maxConfigBytes}`);
    return await handle.readFile('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, [], { cause: err });
  } finally {
    await handle.close();
  }
}

/** Far above any real configuration; keeps a wrong path (a log, an image) from being slurped. */
const maxConfigBytes = 4 * 1024 * 1024;

export function storageSpecFrom(config: AgentConfig, modulePath: string = defaultStorageModulePath): StorageSpec {
  return { modulePath, config: config.storage, configValidated: true, ...config.supervisor.storage };
}

export function tracerSpecsFrom(config: AgentConfig): TracerSpec[] {
  const entries = Object.entries(config.tracers as Record<string, TracerEntryConfig>);
  return entries
    .filter(([, entry]) => entry.enabled)
    .map(([name, entry]) => {
      const catalog = builtinTracers[name];
      if (catalog === undefined) throw new ConfigError('CONFIG_INVALID', `tracers.${name}: unknown tracer`);
      return tracerSpec({
        name,
        modulePath: catalog.modulePath,
        isolation: entry.isolation,
        settings: entry.settings,
        settingsValidated: true,
        cooldownSeconds: entry.cooldownSeconds,
        restart: entry.restart,
        heartbeatMs: entry.heartbeatMs,
        missedHeartbeats: entry.missedHeartbeats,
        shutdownMs: entry.shutdownMs,
        killAfterMs: entry.killAfterMs,
        startTimeoutMs: entry.startTimeoutMs,
        metricsIntervalMs: entry.metricsIntervalMs,
        bpfStats: entry.bpfStats,
        ...(entry.maxOldGenerationSizeMb !== undefined ? { maxOldGenerationSizeMb: entry.maxOldGenerationSizeMb } : {}),
      });
    });
}
