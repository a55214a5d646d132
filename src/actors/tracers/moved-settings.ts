// Settings keys that moved out of a tracer's `settings`, known to both the config loader (which
// lifts them to their new place with a warning) and the runtime settings API (which cannot, and
// says where the key went instead of calling it unknown).

/**
 * Tracers whose `settings` had a `cooldownSeconds` of their own before issue 15 (an override in
 * cpusys, cpuidle, dload, memburst and waitrate; the cooldown itself, 600 s, in hungtask and
 * iotracing). Now `tracers.<name>.cooldownSeconds` is the one knob (catalog defaults keep 600 s
 * for hungtask and iotracing); `example`, `oom` and `reclaim` never had the key, so it stays an
 * unknown key there.
 */
export const SETTINGS_COOLDOWN_MOVED: ReadonlySet<string> = new Set(['cpusys', 'cpuidle', 'dload', 'memburst', 'waitrate', 'hungtask', 'iotracing']);

/** Where `settings.cooldownSeconds` of `tracer` went, when it had one; undefined otherwise. */
export function movedCooldownMessage(tracer: string, settings: unknown): string | undefined {
  if (!SETTINGS_COOLDOWN_MOVED.has(tracer)) return undefined;
  if (typeof settings !== 'object' || settings === null || !Object.hasOwn(settings, 'cooldownSeconds')) return undefined;
  return `tracer "${tracer}": settings.cooldownSeconds moved to tracers.${tracer}.cooldownSeconds (issue 15); set it there in the config file, it is not a runtime setting`;
}
