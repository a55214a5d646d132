// Where autotracer's build outputs live, found from this compiled file's own location.
// Compiled code sits at <root>/<outDir>/src/paths.js for any outDir directly under the
// repository root (dist/ normally, dist-<name>/ for a private build), so the root is
// two folders up from here. AUTOTRACER_ROOT overrides it for installs elsewhere.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot: string =
  process.env.AUTOTRACER_ROOT !== undefined && process.env.AUTOTRACER_ROOT !== ''
    ? resolve(process.env.AUTOTRACER_ROOT)
    : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Compiled BPF objects: build/bpf/<name>.bpf.o */
export const bpfObjectDir: string = join(repoRoot, 'build', 'bpf');

/** The production addon and the test-only addon (crash entry point). */
export const nativeAddonPath: string = join(repoRoot, 'src', 'native', 'build', 'Release', 'autotracer_native.node');
export const testAddonPath: string = join(repoRoot, 'src', 'native', 'build', 'Release', 'autotracer_test.node');

export function bpfObjectPath(name: string): string {
  return join(bpfObjectDir, `${name}.bpf.o`);
}
