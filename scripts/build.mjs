// Builds what autotracer needs beside node_modules, each step only when its inputs
// changed: the native addon (node-gyp), the BPF objects (clang, CO-RE against a
// vmlinux.h generated from this kernel's BTF) and the TypeScript (tsc, incremental).
// A failing step prints the tool's own message and exits non-zero.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { release } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2); // e.g. `node scripts/build.mjs bpf ts`
const wants = (step) => only.length === 0 || only.includes(step);
const say = (msg) => console.log(`[build] ${msg}`);

function fail(what, output) {
  console.error(`[build] error: ${what}`);
  if (output) console.error(output.trimEnd());
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  // maxBuffer: bpftool's vmlinux.h dump is several MB, far over spawnSync's 1 MiB default.
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, ...opts.env } });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  return r;
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const newest = (paths) => Math.max(0, ...paths.map(mtime));
const filesIn = (dir, re) => (existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).map((f) => join(dir, f)) : []);

// ---- native addon ------------------------------------------------------------
function buildAddon() {
  const dir = join(root, 'src/native');
  const gyp = join(dir, 'binding.gyp');
  if (!existsSync(gyp)) return;
  const inputs = [gyp, ...filesIn(join(dir, 'addon'), /\.(cc|h)$/)];
  const outputs = ['autotracer_native.node', 'autotracer_test.node'].map((f) => join(dir, 'build/Release', f));
  if (Math.min(...outputs.map(mtime)) > newest(inputs)) return;
  say('building the native addon (node-gyp): sources changed or no build yet');
  const gypBin = join(root, 'node_modules/.bin/node-gyp');
  // --nodedir=/usr: Debian's node ships its headers there; node-gyp would otherwise try
  // to download them, which fails offline.
  const r = run(gypBin, ['rebuild', '-C', dir, '--nodedir=/usr', '--jobs=2'], { env: { npm_config_nodedir: '/usr' } });
  if (r.status !== 0) fail('the native addon did not build', r.stdout + r.stderr);
}

// ---- BPF objects ---------------------------------------------------------------
function buildBpf() {
  const src = join(root, 'src/native/bpf');
  const out = join(root, 'build/bpf');
  const sources = filesIn(src, /\.bpf\.c$/);
  if (sources.length === 0) return;
  mkdirSync(out, { recursive: true });

  // vmlinux.h belongs to the running kernel: regenerate when the kernel changes.
  const vmlinux = join(out, 'vmlinux.h');
  const stamp = join(out, 'vmlinux.kernel');
  const kernel = release();
  if (!existsSync(vmlinux) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== kernel) {
    say(`generating vmlinux.h from /sys/kernel/btf/vmlinux (kernel ${kernel})`);
    const r = run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c']);
    if (r.status !== 0) fail('bpftool could not dump the kernel BTF', r.stderr);
    writeFileSync(vmlinux + '.tmp', r.stdout);
    renameSync(vmlinux + '.tmp', vmlinux);
    writeFileSync(stamp, kernel);
  }
  const headers = [...filesIn(src, /\.h$/), vmlinux];
  const arch = { x64: 'x86', arm64: 'arm64' }[process.arch] ?? process.arch;
  for (const file of sources) {
    const obj = join(out, basename(file).replace(/\.c$/, '.o'));
    if (mtime(obj) > newest([file, ...headers])) continue;
    say(`compiling ${basename(file)}`);
    const r = run('clang', ['-O2', '-g', '-target', 'bpf', `-D__TARGET_ARCH_${arch}`, '-Wall', '-Werror',
      `-I${out}`, `-I${src}`, '-c', file, '-o', obj + '.tmp']);
    if (r.status !== 0) fail(`clang failed on ${file.slice(root.length + 1)}`, r.stderr);
    renameSync(obj + '.tmp', obj);
  }
}

// ---- TypeScript -------------------------------------------------------------------
function buildTs() {
  const tsc = join(root, 'node_modules/.bin/tsc');
  const r = run(tsc, ['-p', 'tsconfig.json']);
  if (r.status !== 0) fail('TypeScript did not compile', r.stdout + r.stderr);
}

if (wants('addon')) buildAddon();
if (wants('bpf')) buildBpf();
if (wants('ts')) buildTs();
