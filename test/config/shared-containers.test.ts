// Issue 15 (settings): one top-level `containers` block reaches every tracer that has a
// container resolver; a tracer's own settings.containers overrides it, key by key, for that
// tracer only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig, tracerSpecsFrom } from '../../src/config/load.js';
import { repoRoot } from '../../src/paths.js';

const withResolver = ['cpuidle', 'dload', 'hungtask', 'iotracing', 'memburst', 'oom', 'reclaim', 'waitrate'];
type Containers = { plainRoots: string[]; scanRoots: string[]; maxDepth: number; dockerDataRoot: string };
const containersOf = (config: ReturnType<typeof parseAgentConfig>, name: string): Containers =>
  ((config.tracers as Record<string, { settings: { containers: Containers } }>)[name]!.settings.containers);

test('the top-level containers block reaches every tracer with a resolver', () => {
  const config = parseAgentConfig({ containers: { plainRoots: ['/pods'], scanRoots: [], maxDepth: 4 } });
  for (const name of withResolver) {
    const c = containersOf(config, name);
    assert.deepEqual([c.plainRoots, c.scanRoots, c.maxDepth, c.dockerDataRoot], [['/pods'], [], 4, '/var/lib/docker'], name);
  }
  for (const spec of tracerSpecsFrom(config).filter((s) => withResolver.includes(s.name))) {
    assert.deepEqual((spec.settings as { containers: Containers }).containers.plainRoots, ['/pods'], `${spec.name}: spec`);
  }
});

test("a tracer's settings.containers overrides the keys it sets, for that tracer only", () => {
  const config = parseAgentConfig({
    containers: { plainRoots: ['/pods'], scanRoots: [] },
    tracers: { dload: { settings: { containers: { maxDepth: 2, plainRoots: ['/mine'] } } } },
  });
  const dload = containersOf(config, 'dload');
  assert.deepEqual([dload.plainRoots, dload.scanRoots, dload.maxDepth], [['/mine'], [], 2]);
  for (const name of withResolver.filter((n) => n !== 'dload')) {
    const c = containersOf(config, name);
    assert.deepEqual([c.plainRoots, c.maxDepth], [['/pods'], 8], name);
  }
});

test('a bad top-level block is reported once, at its own path', () => {
  assert.throws(() => parseAgentConfig({ containers: { maxDepth: 0 } }), (err: Error & { problems?: string[] }) =>
    err.problems?.length === 1 && /^containers\.maxDepth: /.test(err.problems[0]!));
});

test('the example config shows the containers block once, at the top level', () => {
  const text = readFileSync(join(repoRoot, 'ops/config.example.json'), 'utf8');
  assert.equal(text.match(/"containers":/g)?.length, 1);
  assert.ok('containers' in (JSON.parse(text) as object));
});
