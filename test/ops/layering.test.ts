// The import graph of src/ stays a layered tree: no module cycle, no area importing an area
// above it, and no tracer reaching into another tracer's directory (what tracers share lives
// in src/actors/tracers/shared/). The order below was read off the graph as it is (issue 15);
// docs/runtime.md "Source layout" explains it. A new top-level folder of src/ has to be
// placed in LAYERS before this test passes, so the decision is made on purpose.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../../src/paths.js';

/**
 * Lowest first: an area may import its own files and areas listed before it, never after.
 * `paths` is src/paths.ts; `event` is the event contract shared by tracers and storage.
 * storage (and so event, taken out of it) imports only common, so both sit below containers:
 * containers may then name the event's ContainerRef, tracers and storage both import event.
 */
export const LAYERS = [
  'common', 'paths', 'procfs', 'native', 'event', 'storage', 'containers', 'capture',
  'actors', 'supervisor', 'config', 'metrics', 'cost', 'flame', 'http', 'cli',
] as const;

const srcRoot = join(repoRoot, 'src');
const tracersRoot = join(srcRoot, 'actors', 'tracers');

export interface ImportEdge {
  /** Both relative to src/, with `/` separators and the .ts file the specifier names. */
  from: string;
  to: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'build' || e.name === 'node_modules' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Module specifiers of real import/export declarations and import() calls (not text inside strings, e.g. the new-tracer templates). */
export function importSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteralLike(arg)) out.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const toSrcRelative = (abs: string): string => relative(srcRoot, abs).split(sep).join('/');

/** Every relative import between files of src/ (packages and node: builtins are not edges). */
export function importGraph(): ImportEdge[] {
  return sourceFiles(srcRoot).flatMap((file) =>
    importSpecifiers(file, readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((specifier) => ({ from: toSrcRelative(file), to: toSrcRelative(resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))), specifier })),
  );
}

/** The top-level area of a src/-relative path: its first folder, or the file name for src/*.ts. */
export function areaOf(path: string): string {
  const [first = '', ...rest] = path.split('/');
  return rest.length === 0 ? first.replace(/\.ts$/, '') : first;
}

/** The tracer directory a file belongs to (`cpusys`), or undefined outside src/actors/tracers/<name>/. */
export function tracerOf(path: string): string | undefined {
  const m = /^actors\/tracers\/([^/]+)\//.exec(path);
  return m?.[1] !== undefined && m[1] !== 'shared' ? m[1] : undefined;
}

/** Imports from one tracer's directory (or shared/) into another tracer's directory. */
export function crossTracerImports(edges: readonly ImportEdge[]): ImportEdge[] {
  return edges.filter((e) => {
    const target = tracerOf(e.to);
    if (target === undefined) return false;
    return (tracerOf(e.from) !== undefined && tracerOf(e.from) !== target) || e.from.startsWith('actors/tracers/shared/');
  });
}

/** One cycle of the graph as a path a → … → a, or undefined when there is none. */
export function findCycle(edges: readonly ImportEdge[]): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      const cycle = visit(to);
      if (cycle !== undefined) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of next.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

describe('src/ import layering', () => {
  const edges = importGraph();
  const describeEdge = (e: ImportEdge): string => `src/${e.from} imports '${e.specifier}'`;

  it('reads a real graph (guards against a parser that finds nothing)', () => {
    assert.ok(edges.length > 500, `only ${edges.length} imports found under ${srcRoot}`);
    assert.ok(edges.some((e) => e.from === 'cli/main.ts'), 'cli/main.ts has imports');
    assert.deepEqual(importSpecifiers('t.ts', "const s = `import { x } from '../../tracer-api.js';`;\nimport type { Y } from './y.js';\nexport * from './z.js';\nawait import('./w.js');"), ['./y.js', './z.js', './w.js']);
  });

  it('has no import cycle between modules', () => {
    const cycle = findCycle(edges);
    assert.equal(cycle, undefined, `import cycle: ${cycle?.join(' → ')}`);
  });

  it('imports stay inside src/', () => {
    const escaping = edges.filter((e) => e.to.startsWith('../')).map(describeEdge);
    assert.deepEqual(escaping, []);
  });

  it(`every area is placed in the layer order (${LAYERS.join(' < ')})`, () => {
    const areas = new Set(edges.flatMap((e) => [areaOf(e.from), areaOf(e.to)]));
    const unplaced = [...areas].filter((a) => !(LAYERS as readonly string[]).includes(a));
    assert.deepEqual(unplaced, [], `add these src/ areas to LAYERS in test/ops/layering.test.ts and docs/runtime.md`);
  });

  it('no area imports an area above it', () => {
    const rank = (area: string): number => (LAYERS as readonly string[]).indexOf(area);
    const upward = edges
      .filter((e) => rank(areaOf(e.to)) > rank(areaOf(e.from)))
      .map((e) => `${describeEdge(e)} (${areaOf(e.from)} is below ${areaOf(e.to)})`);
    assert.deepEqual(upward, []);
  });

  it("no tracer imports another tracer's directory, and shared/ imports no tracer", () => {
    assert.deepEqual(crossTracerImports(edges).map(describeEdge), []);
  });

  it('the tracer check catches a cross-tracer import and an import from shared/ into a tracer', () => {
    // Self-test on a made-up edge, so the check above cannot pass by matching nothing.
    const fake: ImportEdge = { from: 'actors/tracers/cpuidle/index.ts', to: 'actors/tracers/cpusys/profile.ts', specifier: '../cpusys/profile.js' };
    assert.equal(tracerOf(fake.from), 'cpuidle');
    assert.equal(tracerOf(fake.to), 'cpusys');
    assert.equal(tracerOf('actors/tracers/shared/profile.ts'), undefined);
    const fromShared: ImportEdge = { from: 'actors/tracers/shared/profile.ts', to: 'actors/tracers/cpusys/index.ts', specifier: '../cpusys/index.js' };
    const toShared: ImportEdge = { from: 'actors/tracers/cpuidle/index.ts', to: 'actors/tracers/shared/profile.ts', specifier: '../shared/profile.js' };
    assert.deepEqual(crossTracerImports([fake, fromShared, toShared]), [fake, fromShared]);
    assert.deepEqual(findCycle([{ from: 'a.ts', to: 'b.ts', specifier: '' }, { from: 'b.ts', to: 'a.ts', specifier: '' }]), ['a.ts', 'b.ts', 'a.ts']);
  });
});
