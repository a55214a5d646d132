// `autotracer flame <id> --format svg|html|folded|speedscope|pprof [-o file]`: renders a
// stored event's CPU profile with src/flame. Binary output (pprof) goes to stdout only when
// stdout is not a terminal; otherwise -o is required.
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlameFormat } from '../../flame/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { writeOut } from '../output.js';
import { fetchEvent } from './show.js';

/** The formats, listed here too so `--help` and argument validation need not load src/flame. */
export const FLAME_FORMAT_CHOICES: readonly FlameFormat[] = ['svg', 'html', 'folded', 'speedscope', 'pprof'];

export interface FlameOptions {
  format: FlameFormat;
  output?: string;
  db?: string;
}

export async function runFlame(globals: GlobalOptions, id: string, opts: FlameOptions): Promise<number> {
  // Checked before any I/O: a terminal would get binary garbage.
  if (opts.format === 'pprof' && opts.output === undefined && process.stdout.isTTY === true) {
    throw usageError('pprof output is binary and stdout is a terminal', `pass -o <file> (e.g. -o ${id}.pb.gz) or pipe it`);
  }
  const doc = await fetchEvent(globals, id, opts.db);
  // Loaded only for this command (keeps the other commands' start-up small).
  const flame = await import('../../flame/index.js');
  let rendered: string | Buffer;
  try {
    rendered = flame.renderEventFlame(doc, opts.format);
  } catch (err) {
    throw flameError(id, err);
  }
  if (opts.output === undefined) {
    await writeOut(rendered);
    return ExitCode.ok;
  }
  // -o <directory> writes <dir>/<id>.<ext>.
  let file = opts.output;
  if (isDirectory(file)) file = join(file, `${id}.${flame.fileExtensionOf(opts.format)}`);
  try {
    await writeFile(file, rendered);
  } catch (err) {
    throw new CliError('CLI_IO', `cannot write ${file}: ${(err as Error).message}`, undefined, { cause: err });
  }
  process.stderr.write(`wrote ${file} (${Buffer.byteLength(rendered)} bytes, ${flame.contentTypeOf(opts.format)})\n`);
  return ExitCode.ok;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function flameError(id: string, err: unknown): Error {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'FLAME_NO_PROFILE':
      return new CliError('CLI_NOT_FOUND', message, `only events with a CPU profile (cpusys, cpuidle) have a flame graph; \`autotracer show ${id}\` shows what this one holds`, { cause: err });
    case 'FLAME_BAD_FORMAT':
      return new CliError('CLI_USAGE', message, undefined, { cause: err });
    case 'FLAME_BAD_PROFILE':
      return new CliError('CLI_IO', message, `the stored profile is malformed; \`autotracer show ${id} --format json\` shows it`, { cause: err });
    default:
      return err instanceof Error ? err : new Error(message);
  }
}
