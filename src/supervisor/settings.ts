// A tracer in the built-in catalog has its settings validated here, in the main thread, with
// the catalog's schema: its actor receives them parsed, defaults filled in, and its worker
// never loads zod (about 5.5 MB of RSS per worker, measured: 9 workers importing zod take
// 146 MB against 97 MB without). A tracer from outside the catalog may carry a schema in its
// registration; its actor validates there, as before.
import { z } from 'zod';
import { ActorError } from '../actors/errors.js';
import { builtinTracers } from '../actors/tracers/catalog.js';

const schemaByModule = new Map<string, z.ZodType>(Object.values(builtinTracers).map((entry) => [entry.modulePath, entry.settingsSchema]));

/** The settings the actor will see; throws TRACER_BAD_CONFIG naming every bad field. */
export function validateTracerSettings(tracer: string, modulePath: string, settings: unknown): unknown {
  const schema = schemaByModule.get(modulePath);
  if (schema === undefined) return settings;
  const parsed = schema.safeParse(settings ?? {});
  if (!parsed.success) throw new ActorError('TRACER_BAD_CONFIG', `tracer "${tracer}": invalid settings: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
