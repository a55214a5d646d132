// The fast half of `autotracer dev`'s rebuild: the changed .ts files of one tracer are
// transpiled one by one (TypeScript's transpileModule: no type check, milliseconds per file)
// into the places `tsc -p tsconfig.json` writes them, so the tracer can be restarted at once;
// the whole-project type check (20–40 s on this VM, most of it spent on files the author did
// not touch) runs afterwards and reports its errors without holding up the restart.
//
// transpileModule sees one file at a time, so a few constructs come out differently than
// from tsc (a re-export of a type without `export type`, a `const enum` from another file).
// The caller compares each file with what tsc wrote afterwards and restarts again on a
// difference, so what finally runs is always tsc's output.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type * as TypeScript from 'typescript';
import { usageError } from './errors.js';

export interface TranspiledFile {
  /** The .ts source, absolute. */
  source: string;
  /** The .js written, absolute. */
  output: string;
  /** Its text, to compare with tsc's later. */
  js: string;
}

export interface FastTranspiler {
  /** Transpiles these sources (absolute .ts paths under the repository) into the outDir. */
  transpile(sources: readonly string[]): TranspiledFile[];
}

/** Loads the repository's own TypeScript and tsconfig once; throws a usage error without them. */
export function createFastTranspiler(repoRoot: string): FastTranspiler {
  const ts = loadTypeScript(repoRoot);
  const configPath = join(repoRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error !== undefined) throw usageError(`dev: cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot);
  // Under NodeNext a file's module format follows package.json's "type", which
  // transpileModule cannot see (it would emit CommonJS): say it explicitly.
  const esm = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { type?: string }).type === 'module';
  const options: TypeScript.CompilerOptions = { ...parsed.options, module: esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS };
  const outDir = options.outDir ?? repoRoot;
  const rootDir = options.rootDir ?? repoRoot;
  return {
    transpile(sources) {
      return sources.map((source) => {
        const text = readFileSync(source, 'utf8');
        const result = ts.transpileModule(text, { compilerOptions: options, fileName: source, reportDiagnostics: false });
        const output = join(outDir, relative(rootDir, source)).replace(/\.ts$/, '.js');
        const mapFile = `${output}.map`;
        mkdirSync(dirname(output), { recursive: true });
        if (result.sourceMapText !== undefined) {
          // transpileModule names the source by its bare file name; tsc writes the path from
          // the output's folder, which is what maps a stack frame back to src/…/<file>.ts.
          const map = JSON.parse(result.sourceMapText) as { sources: string[]; file: string; sourceRoot?: string };
          map.sources = [relative(dirname(output), source)];
          map.file = basename(output);
          map.sourceRoot = '';
          writeAtomically(mapFile, JSON.stringify(map));
        }
        writeAtomically(output, result.outputText);
        return { source, output, js: result.outputText };
      });
    },
  };
}

/** Of the files transpiled, those whose text differs from what is on disk now (tsc's). */
export function differingFromDisk(files: readonly TranspiledFile[]): TranspiledFile[] {
  return files.filter((f) => {
    try {
      return readFileSync(f.output, 'utf8') !== f.js;
    } catch {
      return true;
    }
  });
}

/** A half-written .js would be loaded by a restart racing the write: rename into place. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function loadTypeScript(repoRoot: string): typeof TypeScript {
  try {
    // The checkout's own compiler (a devDependency), the one `npm run build` uses.
    return createRequire(join(repoRoot, 'package.json'))('typescript') as typeof TypeScript;
  } catch (err) {
    throw usageError(`dev: cannot load TypeScript from ${repoRoot}/node_modules (${err instanceof Error ? err.message : String(err)})`, 'run `npm ci` in the checkout');
  }
}
