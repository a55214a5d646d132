// Settings are validated once. From a config file: at config load (the agent schema holds
// every catalog tracer's settings schema), and the spec says so (`settingsValidated`). In a
// spec built by hand (tests, benchmarks, embedding): here, in the main thread, with the
// catalog's schema. Either way the actor receives them parsed, defaults filled in, and its
// worker never loads zod (the measured cost: docs/runtime.md, "Settings and zod"). A tracer
// from outside the catalog may carry a schema in its registration; its actor validates there,
// and only there.
import { z } from 'zod';
import { ActorError } from '../actors/errors.js';
import { builtinTracers } from '../actors/tracers/catalog.js';
import { movedCooldownMessage } from '../actors/tracers/moved-settings.js';

const schemaByModule = new Map<string, z.ZodType>(Object.values(builtinTracers).map((entry) => [entry.modulePath, entry.settingsSchema]));

/** Settings as sent to the actor, and whether they were validated in the main thread. */
export interface ActorSettings {
  settings: unknown;
  /** Parsed by a catalog schema (at config load or here): the actor does not parse them again. */
  validated: boolean;
}

/**
 * The settings the actor will see. `alreadyValidated` (they came out of config load) passes
 * them through untouched; otherwise a catalog tracer's are validated here. No structural guard
 * is re-applied when they cross to the worker or child process: the parsed value is plain
 * data (structured clone / JSON keep it as is) and nothing on the way can change it.
 */
export function settingsForActor(tracer: string, modulePath: string, settings: unknown, alreadyValidated: boolean): ActorSettings {
  if (alreadyValidated) return { settings, validated: true };
  return { settings: validateTracerSettings(tracer, modulePath, settings), validated: schemaByModule.has(modulePath) };
}

/** The settings the actor will see; throws TRACER_BAD_CONFIG naming every bad field. */
export function validateTracerSettings(tracer: string, modulePath: string, settings: unknown): unknown {
  const schema = schemaByModule.get(modulePath);
  if (schema === undefined) return settings;
  const parsed = schema.safeParse(settings ?? {});
  // A key that moved out of settings is refused by the schema as unknown: say where it went.
  const moved = parsed.success ? undefined : movedCooldownMessage(tracer, settings);
  if (moved !== undefined) throw new ActorError('TRACER_BAD_CONFIG', moved);
  if (!parsed.success) throw new ActorError('TRACER_BAD_CONFIG', `tracer "${tracer}": invalid settings: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
