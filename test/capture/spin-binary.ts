// Builds test/fixtures/capture/spin.c into a temp dir (with frame pointers and symbols)
// and reads the link-time addresses of its functions with binutils' nm, an independent
// reference for the ELF reader.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/paths.js';

export const SPIN_SOURCE = join(repoRoot, 'test', 'fixtures', 'capture', 'spin.c');
export const SPIN_FUNCTION = 'autotracer_spin_here';
export const SPIN_CALLER = 'autotracer_spin_caller';

export interface SpinBinary {
  dir: string;
  path: string;
  /** A copy of the binary under another name (another comm). */
  copy(name: string): string;
  remove(): void;
}

export function buildSpinBinary(): SpinBinary {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-capture-'));
  const path = join(dir, 'at-spin');
  const cc = spawnSync('cc', ['-O0', '-fno-omit-frame-pointer', '-g', '-o', path, SPIN_SOURCE], { encoding: 'utf8' });
  if (cc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cc failed: ${cc.stderr}`);
  }
  return {
    dir,
    path,
    copy(name: string): string {
      const target = join(dir, name);
      copyFileSync(path, target);
      return target;
    },
    remove(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `nm [-D] file` defined text symbols: name -> address. */
export function nmSymbols(file: string, dynamic = false): Map<string, number> {
  const r = spawnSync('nm', [...(dynamic ? ['-D'] : []), '--defined-only', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`nm failed: ${r.stderr}`);
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]+) [TtWwi] (\S+?)(@@?\S+)?$/.exec(line);
    if (m !== null && !out.has(m[2]!)) out.set(m[2]!, parseInt(m[1]!, 16));
  }
  return out;
}
