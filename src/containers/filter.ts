// HUATUO's container Filter: `{field, pattern}` regex rules in an Included and an Excluded
// list. No rules → every container; Excluded only → a blacklist; Included only → a
// whitelist; both → a container must match some Included rule and no Excluded rule.
// Patterns are unanchored searches, like Go's regexp.MatchString; a field the container
// does not have (e.g. qos of a plain cgroup) is matched as the empty string.
import { ContainerFilterError } from './errors.js';
import type { Container } from './types.js';

/** Our field names; HUATUO's `container_*` spellings are accepted as aliases. */
export const FILTER_FIELDS = ['hostname', 'host_namespace', 'qos', 'id', 'name', 'type'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

export interface FilterRule {
  field: string;
  pattern: string;
}
export interface FilterRules {
  included?: readonly FilterRule[];
  excluded?: readonly FilterRule[];
}

interface CompiledRule {
  field: FilterField;
  re: RegExp;
}

/** `container_hostname` → `hostname`; undefined for an unknown field. */
export function normalizeFilterField(field: string): FilterField | undefined {
  const bare = field.startsWith('container_') ? field.slice('container_'.length) : field;
  return (FILTER_FIELDS as readonly string[]).includes(bare) ? (bare as FilterField) : undefined;
}

function fieldValue(container: Container, field: FilterField): string {
  switch (field) {
    case 'hostname':
      return container.hostname ?? '';
    case 'host_namespace':
      return container.hostNamespace ?? '';
    case 'qos':
      return container.qos ?? '';
    case 'id':
      return container.id;
    case 'name':
      return container.name;
    case 'type':
      return container.type;
    default: {
      const _never: never = field;
      return _never;
    }
  }
}

function compile(list: 'included' | 'excluded', rules: readonly FilterRule[]): CompiledRule[] {
  return rules.map((rule, i) => {
    const where = `${list}[${i}] {field: ${JSON.stringify(rule.field)}, pattern: ${JSON.stringify(rule.pattern)}}`;
    if (typeof rule?.field !== 'string' || typeof rule.pattern !== 'string') {
      throw new ContainerFilterError(where, 'field and pattern must both be strings');
    }
    const field = normalizeFilterField(rule.field);
    if (field === undefined) {
      throw new ContainerFilterError(where, `unknown field (expected one of ${FILTER_FIELDS.join(', ')})`);
    }
    try {
      return { field, re: new RegExp(rule.pattern) };
    } catch (err) {
      throw new ContainerFilterError(where, `invalid regular expression: ${(err as Error).message}`, { cause: err });
    }
  });
}

export class ContainerFilter {
  private readonly included: CompiledRule[];
  private readonly excluded: CompiledRule[];

  /** Compiles every rule now, so a bad rule fails at start-up, naming itself. */
  constructor(rules: FilterRules = {}) {
    this.included = compile('included', rules.included ?? []);
    this.excluded = compile('excluded', rules.excluded ?? []);
  }

  matches(container: Container): boolean {
    const hit = (r: CompiledRule) => r.re.test(fieldValue(container, r.field));
    if (this.included.length > 0 && !this.included.some(hit)) return false;
    return !this.excluded.some(hit);
  }
}
