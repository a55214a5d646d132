// A catalog tracer's worker must not load zod (~5.5 MB of RSS per worker thread): the
// supervisor parses its settings with the catalog's schema in the main thread. Each tracer
// module is imported in a fresh node whose module resolver refuses `zod`, so any import
// chain reaching it, static or dynamic, fails the import and names the importer. `example`
// is the control: it keeps its worker-side settingsSchema on purpose, so it must be caught.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';

// Runs in the loader-hooks thread: every resolution of zod throws, naming who asked.
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === 'zod' || specifier.startsWith('zod/')) throw new Error('ZOD_IMPORTED by ' + context.parentURL);
  return next(specifier, context);
}`;

function importWithoutZod(modulePath: string): { status: number | null; out: string } {
  const script = [
    "import { register } from 'node:module';",
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`,
    `await import(${JSON.stringify(pathToFileURL(modulePath).href)});`,
    "console.log('IMPORTED');",
  ].join('\n');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT' && k !== 'NODE_OPTIONS'));
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('tracer workers do not load zod', () => {
  const builtins = Object.entries(builtinTracers).filter(([name]) => name !== 'example');
  it('the catalog lists the built-in tracers', () => assert.ok(builtins.length >= 9, builtins.map(([n]) => n).join(', ')));

  for (const [name, entry] of builtins) {
    it(`${name}: its module imports without reaching zod`, () => {
      const r = importWithoutZod(entry.modulePath);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /IMPORTED/);
      assert.doesNotMatch(r.out, /ZOD_IMPORTED/);
    });
  }

  it('control: example (worker-side settingsSchema) is caught importing zod from its config.js', () => {
    const example = builtinTracers.example;
    assert.ok(example);
    const r = importWithoutZod(example.modulePath);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /ZOD_IMPORTED by file:\/\/\S+\/example\/config\.js/);
  });
});
