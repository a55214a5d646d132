// What backs ctx.containers: one container resolver per tracer actor, built on first use from
// the tracer's validated `settings.containers` (so each tracer keeps its own roots and filter,
// as when every tracer built its own) and shared by start() and trigger() contexts. A settings
// update that brings a new `containers` object gets a new resolver on the next access (the old
// one is closed: it stops watching); a tracer that kept the previous view keeps it until it asks again.
import { ContainerResolver, type ContainersConfig } from '../containers/index.js';
import { ActorError } from './errors.js';
import type { ContainerView } from './tracer-api.js';

export class ContainerViewCache {
  private resolver: ContainerResolver | undefined;
  private builtFrom: ContainersConfig | undefined;

  constructor(private readonly tracerName: string) {}

  /** The view for these settings; throws TRACER_NO_CONTAINERS when they have no `containers` block. */
  view(settings: unknown): ContainerView {
    const config = containersConfigOf(settings);
    if (config === undefined) {
      throw new ActorError(
        'TRACER_NO_CONTAINERS',
        `tracer "${this.tracerName}": ctx.containers needs a \`containers\` block in its settings (containersConfigSchema from src/containers/config.js in its schema)`,
      );
    }
    if (this.resolver === undefined || this.builtFrom !== config) {
      // The settings were parsed (defaults applied) before they reached the actor: build
      // without validating again, so the worker never loads zod.
      // The replaced resolver stops watching the trees (its inotify watches, one per cgroup
      // directory, would otherwise stay until the actor exits). A tracer that kept it still
      // gets answers; its next refreshIfChanged() watches again.
      this.resolver?.close();
      this.resolver = new ContainerResolver(config);
      this.builtFrom = config;
    }
    return this.resolver;
  }
}

function containersConfigOf(settings: unknown): ContainersConfig | undefined {
  const value = typeof settings === 'object' && settings !== null ? (settings as { containers?: unknown }).containers : undefined;
  return typeof value === 'object' && value !== null ? (value as ContainersConfig) : undefined;
}
