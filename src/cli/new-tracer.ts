// `autotracer new-tracer <name>`: scaffolds a working tracer in the style of the example
// (register, a start loop honouring the signal, cooldown, save, update() metrics, trigger),
// its CO-RE BPF object (.bpf.c + .h + .ts layout) and a real test, then lists it where the
// project's tests expect every tracer — the catalog, the doctor's requirements, the config
// docs and the example config — so `npm test` is green right after it. Each edit is an
// idempotent text edit at known anchors (re-running leaves a listed tracer alone); a file
// that does not look as expected is left untouched and the author told what to add.
// Exit codes: 0 done, 2 bad name / existing tracer / files exist without --force / not a repo.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CodedError } from '../common/coded-error.js';
import { repoRoot } from '../paths.js';
import {
  SCAFFOLD_MARK, bpfC, bpfH, bpfTs, configDocSection, configTs, doctorRequirementEntry, indexTs, scaffoldSettingsDefaults, testTs, tracerNames, type TracerNames,
} from './templates/tracer.js';

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

/** What the scaffold did to one shared file: inserted (new text), already there, or left to the author. */
export type FileEdit =
  | { kind: 'inserted'; text: string }
  | { kind: 'present' }
  | { kind: 'manual'; why: string };
export type CatalogEdit = FileEdit;

/** Shared files the scaffold edits besides the catalog, so `npm test` stays green after it. */
const DOCTOR_REQUIREMENTS = 'src/cli/doctor-requirements.ts';
const CONFIG_DOC = 'docs/config.md';
const CONFIG_EXAMPLE = 'ops/config.example.json';

/**
 * Inserts `importLine` after the last import matching `importPattern` and `entryLine` before
 * the closing `};` (at the start of a line) of the object declared by `objectDecl`.
 */
function insertImportAndEntry(text: string, importPattern: RegExp, objectDecl: string, importLine: string, entryLine: string): FileEdit {
  const lastImport = [...text.matchAll(importPattern)].at(-1);
  const objectStart = text.indexOf(objectDecl);
  if (lastImport === undefined || objectStart < 0) return { kind: 'manual', why: `no matching import or no \`${objectDecl}\`` };
  const close = text.indexOf('\n};', objectStart);
  if (close < 0) return { kind: 'manual', why: `the object of \`${objectDecl}\` has no closing \`};\` at the start of a line` };
  const importEnd = lastImport.index + lastImport[0].length;
  if (importEnd > objectStart) return { kind: 'manual', why: `imports after \`${objectDecl}\`` };
  return { kind: 'inserted', text: text.slice(0, importEnd) + importLine + '\n' + text.slice(importEnd, close + 1) + entryLine + '\n' + text.slice(close + 1) };
}

/** The doctor's requirement entry: its BPF object and tracepoint, so `doctor` really checks it. */
export function insertIntoDoctorRequirements(text: string, n: TracerNames): FileEdit {
  const { importLine, entryLine } = doctorRequirementEntry(n);
  if (text.includes(`'../native/bpf/${n.name}.js'`) || new RegExp(`^  ${n.name}: \\{`, 'm').test(text)) return { kind: 'present' };
  return insertImportAndEntry(text, /^import \{[^}]*\} from '\.\.\/native\/bpf\/[a-z0-9_]+\.js';\n/gm, 'export const tracerRequirements', importLine, entryLine);
}

/** The rows of its settings in docs/config.md, as a section appended at the end of the page. */
export function appendConfigDoc(text: string, n: TracerNames): FileEdit {
  if (text.includes(`\`tracers.${n.name}.settings.`)) return { kind: 'present' };
  return { kind: 'inserted', text: (text.endsWith('\n') ? text : text + '\n') + configDocSection(n) };
}

/**
 * Its entry in ops/config.example.json (the defaults): the tracer-generic keys of the example
 * tracer's entry, off, with the scaffold's settings. Only when the file is in the generated
 * format (JSON.stringify, 2 spaces), so nothing else of it is reformatted.
 */
export function insertIntoConfigExample(text: string, n: TracerNames): FileEdit {
  let example: { tracers?: Record<string, Record<string, unknown>> };
  try {
    example = JSON.parse(text) as typeof example;
  } catch {
    return { kind: 'manual', why: 'it is not valid JSON' };
  }
  if (JSON.stringify(example, null, 2) + '\n' !== text) return { kind: 'manual', why: 'it is not in the generated format (see test/ops/config-example.test.ts to regenerate it)' };
  const tracers = example.tracers ?? {};
  if (tracers[n.name] !== undefined) return { kind: 'present' };
  const template = tracers.example ?? Object.values(tracers)[0];
  if (template === undefined) return { kind: 'manual', why: 'it lists no tracer to copy the generic keys from' };
  tracers[n.name] = { ...template, enabled: false, settings: scaffoldSettingsDefaults() };
  return { kind: 'inserted', text: JSON.stringify({ ...example, tracers }, null, 2) + '\n' };
}

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
  /** The other shared files (doctor requirements, config docs, example config), by path. */
  edits: Record<string, FileEdit>;
}

/** Computes the edit of one shared file (missing file: left to the author). */
function editFile(root: string, rel: string, edit: (text: string) => FileEdit): FileEdit {
  const path = join(root, rel);
  if (!existsSync(path)) return { kind: 'manual', why: `${rel} does not exist` };
  return edit(readFileSync(path, 'utf8'));
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
  const edits: Record<string, FileEdit> = {
    [DOCTOR_REQUIREMENTS]: editFile(root, DOCTOR_REQUIREMENTS, (t) => insertIntoDoctorRequirements(t, n)),
    [CONFIG_DOC]: editFile(root, CONFIG_DOC, (t) => appendConfigDoc(t, n)),
    [CONFIG_EXAMPLE]: editFile(root, CONFIG_EXAMPLE, (t) => insertIntoConfigExample(t, n)),
  };
  for (const [rel, edit] of Object.entries(edits)) if (edit.kind === 'inserted') writeFileSync(join(root, rel), edit.text);
  return { root, written: files.map((f) => f.path), catalog, edits };
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
  const manual: string[] = [];
  for (const [rel, edit] of Object.entries(result.edits)) {
    if (edit.kind === 'inserted') lines.push(`  ${rel} (inserted)`);
    else if (edit.kind === 'present') lines.push(`  ${rel} already lists it (left unchanged)`);
    else manual.push(`  ${rel}: ${edit.why}; add '${name}' by hand`);
  }
  if (manual.length > 0) lines.push('', 'Could not edit safely:', ...manual);
  lines.push('', 'Next steps:',
    `  1. cd ${rel} && node scripts/build.mjs            # compiles build/bpf/${name}.bpf.o and the TypeScript`,
    `  2. node --test dist/test/${name}/tracer.test.js   # as root: loads the object and sees an exec`,
    `  3. autotracer dev ${name}                          # only it, in a child process; rebuilt and restarted on each save`,
    `  4. replace the exec counter with your detection and capture; keep the .h and .ts layouts,`,
    `     its doctor requirements (${DOCTOR_REQUIREMENTS}) and its settings rows (${CONFIG_DOC}, ${CONFIG_EXAMPLE}) in step`,
    `  5. enable it for good: {"tracers": {"${name}": {"enabled": true}}} in the config`);
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
