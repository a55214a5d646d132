// The top-level `containers` block is the container resolver configuration of every tracer
// that has one (the example config used to repeat it in 8 tracers). A tracer's own
// `settings.containers` stays accepted as an override: the keys it sets replace the shared
// block's, key by key at the first level (a `filter` given replaces the whole shared filter),
// for that tracer only.
import type { ContainersConfig } from '../containers/config.js';
import type { AgentConfig } from './schema.js';

type Settings = Record<string, unknown>;

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The tracers whose settings carry a resolver configuration (their schema has `containers`). */
function tracersWithContainers(config: AgentConfig): Array<[string, Settings]> {
  return Object.entries(config.tracers as Record<string, { settings: unknown }>)
    .map(([name, entry]): [string, Settings | undefined] => [name, record(entry.settings)])
    .filter((pair): pair is [string, Settings] => pair[1] !== undefined && record(pair[1].containers) !== undefined);
}

/**
 * `config` as parsed (every tracer's `settings.containers` defaulted) with each tracer's
 * `settings.containers` rebuilt from the top-level block plus the keys the raw file set for
 * that tracer. `raw` is the object the schema parsed.
 */
export function applySharedContainers(config: AgentConfig, raw: unknown): AgentConfig {
  const rawTracers = record(record(raw)?.tracers);
  const tracers: Record<string, unknown> = { ...config.tracers };
  for (const [name, settings] of tracersWithContainers(config)) {
    const override = record(record(record(rawTracers?.[name])?.settings)?.containers) ?? {};
    const own = settings.containers as ContainersConfig;
    const picked = Object.fromEntries(Object.keys(override).map((key) => [key, own[key as keyof ContainersConfig]]));
    const entry = tracers[name] as { settings: Settings };
    tracers[name] = { ...entry, settings: { ...settings, containers: { ...config.containers, ...picked } } };
  }
  return { ...config, tracers: tracers as AgentConfig['tracers'] };
}

/**
 * The configuration as the example file shows it: a tracer's `settings.containers` is left
 * out where it is the shared block (so the block appears once, at the top level).
 */
export function withoutInheritedContainers(config: AgentConfig): AgentConfig {
  const shared = JSON.stringify(config.containers);
  const tracers: Record<string, unknown> = { ...config.tracers };
  for (const [name, settings] of tracersWithContainers(config)) {
    if (JSON.stringify(settings.containers) !== shared) continue;
    const { containers: _inherited, ...rest } = settings;
    tracers[name] = { ...(tracers[name] as object), settings: rest };
  }
  return { ...config, tracers: tracers as AgentConfig['tracers'] };
}
