// ops/config.example.json and docs/config.md cannot rot: the example must parse with the
// real schema and equal the defaults (every key shown; the shared `containers` block once, at
// the top level, not again in each tracer that inherits it), and every leaf key path of the
// defaults must be documented in docs/config.md (tracer-generic rows as tracers.<name>.*).
// To regenerate the example after a schema change:
//   node -e "Promise.all([import('./dist/src/config/load.js'), import('./dist/src/config/shared-containers.js')]).then(([l, c]) => console.log(JSON.stringify(c.withoutInheritedContainers(l.parseAgentConfig({})), null, 2)))" > ops/config.example.json
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig } from '../../src/config/load.js';
import { withoutInheritedContainers } from '../../src/config/shared-containers.js';
import { repoRoot } from '../../src/paths.js';

/** Key paths of every non-object value (arrays are leaves). */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, prefix === '' ? k : `${prefix}.${k}`));
}

/** Leaf paths the doc does not mention, literally or in the tracer-generic form. */
export function undocumented(paths: readonly string[], doc: string): string[] {
  const documented = (p: string): boolean => doc.includes('`' + p + '`') || doc.includes('`' + p.replace(/^tracers\.[a-z0-9_]+\./, 'tracers.<name>.') + '`');
  return paths.filter((p) => !documented(p));
}

const read = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8');

describe('ops/config.example.json and docs/config.md', () => {
  const defaults = parseAgentConfig({});

  it('the example parses with the real schema and is exactly the defaults, every tracer shown', () => {
    const example: unknown = JSON.parse(read('ops/config.example.json'));
    assert.deepEqual(example, JSON.parse(JSON.stringify(withoutInheritedContainers(defaults))), 'regenerate ops/config.example.json (see the top of this test)');
    assert.deepEqual(parseAgentConfig(example), defaults);
    assert.deepEqual(Object.keys((example as { tracers: object }).tracers).sort(), Object.keys(defaults.tracers).sort());
  });

  it('every leaf key path of the defaults is in docs/config.md', () => {
    // The shared containers block is documented once (containers.*), not per inheriting tracer.
    const paths = leafPaths(JSON.parse(JSON.stringify(withoutInheritedContainers(defaults))));
    assert.ok(paths.length > 100, `only ${paths.length} paths`);
    assert.deepEqual(undocumented(paths, read('docs/config.md')), []);
  });

  it('the coverage check catches a missing key and accepts the generic form', () => {
    const doc = '| `tracers.<name>.enabled` | x |\n| `storage.path` | y |';
    assert.deepEqual(undocumented(['storage.path', 'tracers.cpusys.enabled', 'tracers.cpusys.settings.frequency', 'storage.fsync'], doc),
      ['tracers.cpusys.settings.frequency', 'storage.fsync']);
  });
});
