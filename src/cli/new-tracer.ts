// `autotracer new-tracer <name>`: scaffolds a working tracer in the style of the example
// (register, a start loop honouring the signal, cooldown, save, update() metrics, trigger),
// its CO-RE BPF object (.bpf.c + .h + .ts layout) and a real test, then lists it in the
// catalog when that can be done safely (idempotent text edit at two anchors) or says how.
// Exit codes: 0 done, 2 bad name / existing tracer / files exist without --force / not a repo.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CodedError } from '../common/coded-error.js';
import { repoRoot } from '../paths.js';
import { SCAFFOLD_MARK, bpfC, bpfH, bpfTs, configTs, indexTs, testTs, tracerNames, type TracerNames } from './templates/tracer.js';

export type NewTracerErrorCode = 'NEW_TRACER_BAD_NAME' | 'NEW_TRACER_EXISTS' | 'NEW_TRACER_FILES_EXIST' | 'NEW_TRACER_NOT_A_REPO';

export class NewTracerError extends CodedError {
  declare readonly code: NewTracerErrorCode;
  readonly hint: string;
  constructor(code: NewTracerErrorCode, message: string, hint: string) {
    super(code, message);
    this.hint = hint;
  }
}

export const TRACER_NAME_PATTERN = /^[a-z][a-z0-9_]{1,30}$/;
const CATALOG = 'src/actors/tracers/catalog.ts';

export interface ScaffoldFile {
  path: string;
  content: string;
}

export function scaffoldFiles(n: TracerNames): ScaffoldFile[] {
  return [
    { path: `src/actors/tracers/${n.name}/index.ts`, content: indexTs(n) },
    { path: `src/actors/tracers/${n.name}/config.ts`, content: configTs(n) },
    { path: `src/native/bpf/${n.name}.bpf.c`, content: bpfC(n) },
    { path: `src/native/bpf/${n.name}.h`, content: bpfH(n) },
    { path: `src/native/bpf/${n.name}.ts`, content: bpfTs(n) },
    { path: `test/${n.name}/tracer.test.ts`, content: testTs(n) },
  ];
}

/** Catalog keys, from the `builtinTracers` object literal (`  name: { modulePath: ...`). */
export function catalogNames(catalogText: string): string[] {
  return [...catalogText.matchAll(/^\s+([a-z][a-z0-9_]*): \{ modulePath:/gm)].map((m) => m[1]!);
}

export type CatalogEdit =
  | { kind: 'inserted'; text: string }
  | { kind: 'present' }
  | { kind: 'manual'; why: string };

/**
 * Adds the import of the settings schema after the last `./<x>/config.js` import and the
 * entry (opt-in) before the closing `};` of builtinTracers. Idempotent: a catalog that
 * already names the module is left alone. Anything unexpected -> 'manual', nothing written.
 */
export function insertIntoCatalog(text: string, n: TracerNames): CatalogEdit {
  if (text.includes(`'./${n.name}/index.js'`)) return { kind: 'present' };
  const importLine = `import { ${n.camel}SettingsSchema } from './${n.name}/config.js';`;
  const entryLine = `  ${n.name}: { modulePath: modulePath('./${n.name}/index.js'), settingsSchema: ${n.camel}SettingsSchema, enabledByDefault: false },`;
  const imports = [...text.matchAll(/^import \{[^}]*\} from '\.\/[a-z0-9_]+\/config\.js';\n/gm)];
  const lastImport = imports.at(-1);
  const objectStart = text.indexOf('export const builtinTracers');
  if (lastImport === undefined || objectStart < 0) return { kind: 'manual', why: 'no `./<tracer>/config.js` import or no `export const builtinTracers` in the catalog' };
  const close = text.indexOf('\n};', objectStart);
  if (close < 0) return { kind: 'manual', why: 'the builtinTracers object has no closing `};` at the start of a line' };
  const importEnd = lastImport.index + lastImport[0].length;
  if (importEnd > objectStart) return { kind: 'manual', why: 'imports after builtinTracers' };
  const out = text.slice(0, importEnd) + importLine + '\n' + text.slice(importEnd, close + 1) + entryLine + '\n' + text.slice(close + 1);
  return { kind: 'inserted', text: out };
}

export interface ScaffoldResult {
  root: string;
  written: string[];
  catalog: CatalogEdit;
}

/** Validates and writes; throws NewTracerError. */
export function scaffoldTracer(name: string, opts: { dir?: string; force: boolean }): ScaffoldResult {
  if (!TRACER_NAME_PATTERN.test(name)) {
    throw new NewTracerError('NEW_TRACER_BAD_NAME', `invalid tracer name '${name}': must match ${TRACER_NAME_PATTERN}`,
      'use 2-31 characters: a lowercase letter, then lowercase letters, digits or _ (e.g. exec_burst)');
  }
  const root = opts.dir ?? repoRoot;
  const catalogPath = join(root, CATALOG);
  if (!existsSync(catalogPath)) {
    throw new NewTracerError('NEW_TRACER_NOT_A_REPO', `${root} is not an autotracer repository (no ${CATALOG})`, 'run from a clone, or pass --dir <repo root>');
  }
  const n = tracerNames(name);
  const files = scaffoldFiles(n);
  const catalogText = readFileSync(catalogPath, 'utf8');
  const indexPath = join(root, files[0]!.path);
  const ours = existsSync(indexPath) && readFileSync(indexPath, 'utf8').includes(SCAFFOLD_MARK);
  // A built-in tracer is never overwritten, even with --force; a scaffolded one may be.
  if ((catalogNames(catalogText).includes(name) || existsSync(join(root, 'src/actors/tracers', name))) && !(opts.force && ours)) {
    throw new NewTracerError('NEW_TRACER_EXISTS', `a tracer named '${name}' already exists`,
      ours ? 'pass --force to regenerate the scaffolded files' : 'pick another name');
  }
  const existing = files.filter((f) => existsSync(join(root, f.path))).map((f) => f.path);
  // --force replaces only files this scaffold wrote: never e.g. src/native/bpf/profile.bpf.c.
  const foreign = existing.filter((p) => !readFileSync(join(root, p), 'utf8').includes(SCAFFOLD_MARK));
  if (foreign.length > 0) {
    throw new NewTracerError('NEW_TRACER_EXISTS', `the name '${name}' is taken: ${foreign.join(', ')} ${foreign.length === 1 ? 'exists and was' : 'exist and were'} not written by new-tracer`, 'pick another name');
  }
  if (existing.length > 0 && !opts.force) {
    throw new NewTracerError('NEW_TRACER_FILES_EXIST', `would overwrite ${existing.join(', ')}`, 'pick another name, or pass --force to overwrite');
  }
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content);
  }
  const catalog = insertIntoCatalog(catalogText, n);
  if (catalog.kind === 'inserted') writeFileSync(catalogPath, catalog.text);
  return { root, written: files.map((f) => f.path), catalog };
}

function nextSteps(result: ScaffoldResult, name: string): string {
  const n = tracerNames(name);
  const near = relative(process.cwd(), result.root);
  const rel = near === '' ? '.' : near.startsWith('..') ? result.root : near;
  const lines = [`Created tracer '${name}' in ${result.root}:`, ...result.written.map((p) => `  ${p}`)];
  switch (result.catalog.kind) {
    case 'inserted':
      lines.push(`  ${CATALOG} (inserted: import + entry, enabledByDefault: false)`);
      break;
    case 'present':
      lines.push(`  ${CATALOG} already lists it (left unchanged)`);
      break;
    case 'manual':
      lines.push('', `Could not edit ${CATALOG} safely (${result.catalog.why}). Add by hand:`,
        `  import { ${n.camel}SettingsSchema } from './${name}/config.js';`,
        `  ${name}: { modulePath: modulePath('./${name}/index.js'), settingsSchema: ${n.camel}SettingsSchema, enabledByDefault: false },`);
      break;
  }
  lines.push('', 'Next steps:',
    `  1. cd ${rel} && node scripts/build.mjs            # compiles build/bpf/${name}.bpf.o and the TypeScript`,
    `  2. node --test dist/test/${name}/tracer.test.js   # as root: loads the object and sees an exec`,
    `  3. add '${name}' to src/cli/doctor-requirements.ts (BPF object ${name}, tracepoint sched/sched_process_exec)`,
    `  4. document tracers.${name}.settings.* in docs/config.md and regenerate ops/config.example.json (test/ops/config-example.test.ts says how)`,
    `  5. enable it: {"tracers": {"${name}": {"enabled": true}}} in the config, then autotracer run`,
    `  6. replace the exec counter with your detection and capture; keep the .h and .ts layouts in step`);
  return lines.join('\n') + '\n';
}

export async function runNewTracer(name: string, opts: { dir?: string; force: boolean }): Promise<number> {
  try {
    const result = scaffoldTracer(name, opts);
    process.stdout.write(nextSteps(result, name));
    return 0;
  } catch (err) {
    if (err instanceof NewTracerError) {
      process.stderr.write(`autotracer: ${err.message}\nhint: ${err.hint}\n`);
      return 2;
    }
    throw err;
  }
}
