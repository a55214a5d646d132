// Loads and validates the agent configuration, and turns it into supervisor specs.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { builtinTracers } from '../actors/tracers/catalog.js';
import { tracerSpec, type StorageSpec, type TracerSpec } from '../supervisor/spec.js';
import { ConfigError } from './errors.js';
import { agentConfigSchema, type AgentConfig, type TracerEntryConfig } from './schema.js';

export const defaultStorageModulePath = fileURLToPath(new URL('../storage/actor.js', import.meta.url));

export function parseAgentConfig(raw: unknown): AgentConfig {
  const result = agentConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
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

export async function loadAgentConfig(file: string | undefined): Promise<AgentConfig> {
  if (file === undefined) return parseAgentConfig({});
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, [], { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CONFIG_NOT_JSON', `${file} is not valid JSON: ${(err as Error).message}`, [], { cause: err });
  }
  return parseAgentConfig(raw);
}

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
