// Validated construction of a ContainerResolver from raw configuration (the agent's
// `containers` section, a test's literal). Kept apart from resolver.ts because it needs zod:
// tracer workers get their settings already parsed by the supervisor and construct the
// resolver directly, so they never load zod (its cost per worker: docs/runtime.md, "Settings and zod").
import { z } from 'zod';
import { containersConfigSchema, type ContainersConfigInput } from './config.js';
import { ContainerError } from './errors.js';
import { ContainerFilter, type FilterRules } from './filter.js';
import { ContainerResolver, type ContainerResolverOptions } from './resolver.js';

/**
 * Parses `input` with containersConfigSchema (defaults applied) and builds the resolver.
 * A bad filter rule throws CONTAINER_FILTER_INVALID naming the rule; anything else invalid
 * throws CONTAINER_CONFIG_INVALID with zod's per-field messages.
 */
export function createContainerResolver(input: ContainersConfigInput = {}, options: ContainerResolverOptions = {}): ContainerResolver {
  const parsed = containersConfigSchema.safeParse(input);
  if (!parsed.success) {
    // The filter compiler's error names the rule and the regex engine's complaint, which
    // zod's "not a valid regular expression" does not; let it throw first when it can.
    const rawFilter = (input as { filter?: unknown } | undefined)?.filter;
    if (rawFilter !== null && typeof rawFilter === 'object') {
      const { included, excluded } = rawFilter as FilterRules;
      new ContainerFilter({
        ...(Array.isArray(included) ? { included } : {}),
        ...(Array.isArray(excluded) ? { excluded } : {}),
      });
    }
    throw new ContainerError('CONTAINER_CONFIG_INVALID', `invalid containers configuration: ${z.prettifyError(parsed.error)}`);
  }
  return new ContainerResolver(parsed.data, options);
}
