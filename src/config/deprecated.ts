// Keys an older configuration may still carry, rewritten to their current place before the
// schema sees them, each with a one-line warning naming the new key. An old file keeps its
// meaning: nothing is dropped silently, and nothing is accepted that was refused before.
import { SETTINGS_COOLDOWN_MOVED } from '../actors/tracers/moved-settings.js';

/** Where load-time warnings go (run, check-config, doctor: stderr). */
export type ConfigWarn = (message: string) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Moves `tracers.<name>.settings.cooldownSeconds` to `tracers.<name>.cooldownSeconds`. When both
 * are set the settings value wins, as it did (it was the tracer's override of the generic key).
 * Returns a new object; `raw` is not modified.
 */
export function liftSettingsCooldowns(raw: unknown, warn: ConfigWarn): unknown {
  if (!isRecord(raw) || !isRecord(raw.tracers)) return raw;
  let tracers: Record<string, unknown> | undefined;
  for (const [name, entry] of Object.entries(raw.tracers)) {
    if (!SETTINGS_COOLDOWN_MOVED.has(name) || !isRecord(entry) || !isRecord(entry.settings) || !('cooldownSeconds' in entry.settings)) continue;
    const { cooldownSeconds, ...settings } = entry.settings;
    warn(`tracers.${name}.settings.cooldownSeconds is deprecated, use tracers.${name}.cooldownSeconds (its value ${JSON.stringify(cooldownSeconds)} is used)`);
    tracers ??= { ...raw.tracers };
    tracers[name] = { ...entry, cooldownSeconds, settings };
  }
  return tracers === undefined ? raw : { ...raw, tracers };
}
