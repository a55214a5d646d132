#!/usr/bin/env node
// Boots another kernel under qemu (TCG: no KVM needed) and reports which of our built BPF
// objects load and attach there. The kernel is Debian's cloud kernel of this release
// (bookworm: 6.1), fetched with `apt-get download` and unpacked into a temp dir, never
// installed on the host. The initramfs holds busybox-static, the built objects and a
// static libbpf loader (scripts/kernels/bpf-load-probe.c) that prints one RESULT line per
// object. Prints JSON on stdout:
//   { kernel, release, vmlinux, seconds, results: { "<object>.bpf.o": { load, attach, errno?, why?, prog?, loaded? } },
//     oom: { "<kevents_oom*>.bpf.o": { child, killed, cgroup, events, pid, comm, cgroup_v2, total_vm } } }
// (the oom part: a real OOM kill in a memory-limited cgroup of the guest, as each OOM
// program variant reported it).
// Options: --keep (keep the work dir; its path goes to stderr), --work <dir> (reuse one:
// skips the download and unpacking when the files are there).
// Needs: apt-get (bookworm archive), dpkg-deb, gcc with libbpf-dev/libelf-dev/zlib1g-dev
// static libraries, lz4/gzip/xz/zstd, qemu-system-x86_64 (installed from Debian when missing).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const workArg = args.indexOf('--work');
const work = workArg >= 0 ? resolve(args[workArg + 1]) : mkdtempSync(join(tmpdir(), 'autotracer-kernels-'));
mkdirSync(work, { recursive: true });
const log = (s) => process.stderr.write(`[kernels] ${s}\n`);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: opts.encoding ?? 'utf8', maxBuffer: 1024 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)}`);
  return r;
}

function ensureQemu() {
  if (run('sh', ['-c', 'command -v qemu-system-x86_64'], { allowFail: true }).status === 0) return;
  log('installing qemu-system-x86 from Debian (only the emulator; the guest kernel is never installed)');
  run('apt-get', ['install', '-y', '--no-install-recommends', 'qemu-system-x86'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** The versioned image package linux-image-cloud-amd64 points at, e.g. linux-image-6.1.0-57-cloud-amd64. */
function kernelPackage() {
  const out = run('apt-cache', ['depends', 'linux-image-cloud-amd64']).stdout;
  const m = /Depends: (linux-image-[0-9][^\s]*)/.exec(out);
  if (!m) throw new Error(`linux-image-cloud-amd64 has no linux-image-* dependency:\n${out}`);
  return m[1];
}

function download(pkgs) {
  const debs = join(work, 'debs');
  mkdirSync(debs, { recursive: true });
  chmodSync(debs, 0o777); // apt's _apt user downloads into it
  const have = readdirSync(debs);
  const missing = pkgs.filter((p) => !have.some((f) => f.startsWith(`${p}_`)));
  if (missing.length > 0) run('apt-get', ['download', ...missing], { cwd: debs });
  return Object.fromEntries(pkgs.map((p) => [p, join(debs, readdirSync(debs).find((f) => f.startsWith(`${p}_`)))]));
}

/** The uncompressed vmlinux inside a bzImage: find the payload by its magic, like scripts/extract-vmlinux. */
function extractVmlinux(bzImage, out) {
  if (existsSync(out)) return;
  const img = readFileSync(bzImage);
  const formats = [
    { magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), cmd: ['lz4', '-dc'] },
    { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), cmd: ['zstd', '-dc'] },
    { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), cmd: ['xz', '-dc'] },
    { magic: Buffer.from([0x1f, 0x8b, 0x08]), cmd: ['gzip', '-dc'] },
  ];
  for (const f of formats) {
    for (let at = img.indexOf(f.magic); at >= 0; at = img.indexOf(f.magic, at + 1)) {
      const r = spawnSync(f.cmd[0], f.cmd.slice(1), { input: img.subarray(at), maxBuffer: 1024 * 1024 * 1024 });
      const elf = r.stdout;
      if (elf && elf.length > 1024 * 1024 && elf.readUInt32BE(0) === 0x7f454c46) {
        writeFileSync(out, elf);
        return;
      }
    }
  }
  throw new Error(`${bzImage}: no compressed vmlinux found (tried lz4, zstd, xz, gzip)`);
}

function buildLoader(out) {
  run('gcc', ['-O2', '-Wall', '-static', '-o', out, join(here, 'bpf-load-probe.c'), '-lbpf', '-lelf', '-lz']);
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
echo "KERNEL $(uname -r)"
/bin/bpf-load-probe /objs/*.bpf.o
# A real OOM kill in a 16 MiB memory cgroup, seen by each OOM program variant.
mount -t cgroup2 none /sys/fs/cgroup && echo +memory > /sys/fs/cgroup/cgroup.subtree_control
for o in kevents_oom kevents_oom_pid; do
  mkdir /sys/fs/cgroup/$o && echo 16M > /sys/fs/cgroup/$o/memory.max && echo 0 > /sys/fs/cgroup/$o/memory.swap.max 2>/dev/null
  /bin/bpf-load-probe --oom /sys/fs/cgroup/$o /objs/$o.bpf.o
done
echo OOM-END
poweroff -f
`;

function buildInitramfs(busybox, loader, out) {
  const root = join(work, 'initramfs');
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'objs', 'proc', 'sys', 'dev']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(busybox, join(root, 'bin', 'busybox'));
  copyFileSync(loader, join(root, 'bin', 'bpf-load-probe'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  chmodSync(join(root, 'bin', 'bpf-load-probe'), 0o755);
  writeFileSync(join(root, 'init'), INIT, { mode: 0o755 });
  const objects = readdirSync(join(repo, 'build', 'bpf')).filter((f) => f.endsWith('.bpf.o'));
  if (objects.length === 0) throw new Error('no build/bpf/*.bpf.o: run `node scripts/build.mjs bpf` first');
  for (const o of objects) copyFileSync(join(repo, 'build', 'bpf', o), join(root, 'objs', o));
  // The host's busybox-static does the cpio packing (no cpio binary needed on the host).
  run('sh', ['-c', `cd "${root}" && find . | "${busybox}" cpio -o -H newc 2>/dev/null | gzip -1 > "${out}"`]);
  return objects;
}

function boot(vmlinuz, initrd) {
  const r = spawnSync('qemu-system-x86_64', [
    '-machine', 'q35', '-accel', 'tcg', '-cpu', 'max', '-smp', '1', '-m', '1G',
    '-kernel', vmlinuz, '-initrd', initrd,
    '-append', 'console=ttyS0 panic=-1 quiet loglevel=3',
    '-nographic', '-no-reboot', '-monitor', 'none', '-serial', 'stdio', '-display', 'none', '-nodefaults',
  ], { encoding: 'utf8', timeout: 15 * 60 * 1000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`qemu: ${r.error.message}`);
  return r.stdout;
}

function parseResults(console) {
  const results = {};
  const oom = {};
  let release;
  for (const raw of console.split(/\r?\n/)) {
    const line = raw.trim();
    const k = /KERNEL (\S+)/.exec(line);
    if (k) release = k[1];
    const o = /OOM (\S+\.bpf\.o) (.*)$/.exec(line);
    if (o) oom[o[1]] = Object.fromEntries(o[2].split(' ').map((kv) => kv.split('=')).map(([k, ...v]) => [k, v.join('=')]));
    const m = /RESULT (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const rest = m[2];
    const field = (name) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(rest)?.[1];
    const why = /(?:^| )why=(.*)$/.exec(rest)?.[1]?.trim();
    results[m[1]] = {
      load: field('load'),
      attach: field('attach') ?? (field('load') === 'ok' ? undefined : 'not-tried'),
      ...(field('errno') !== undefined ? { errno: Number(field('errno')) } : {}),
      ...(field('prog') !== undefined ? { prog: field('prog') } : {}),
      // The programs loaded by their SEC default (not the opt-in "?" ones), in object order.
      ...(field('loaded') !== undefined ? { loaded: field('loaded').split(',') } : {}),
      ...(why ? { why } : {}),
    };
  }
  return { release, results, oom, complete: console.includes('OOM-END') };
}

const started = Date.now();
try {
  ensureQemu();
  const pkg = kernelPackage();
  log(`kernel package ${pkg} (Debian ${run('sh', ['-c', '. /etc/os-release; echo $VERSION_CODENAME']).stdout.trim()})`);
  const debs = download([pkg, 'busybox-static']);
  const kdir = join(work, 'kernel');
  const bdir = join(work, 'busybox');
  if (!existsSync(kdir)) run('dpkg-deb', ['-x', debs[pkg], kdir]);
  if (!existsSync(bdir)) run('dpkg-deb', ['-x', debs['busybox-static'], bdir]);
  const vmlinuz = join(kdir, 'boot', readdirSync(join(kdir, 'boot')).find((f) => f.startsWith('vmlinuz-')));
  const vmlinux = join(work, 'vmlinux');
  extractVmlinux(vmlinuz, vmlinux);
  const loader = join(work, 'bpf-load-probe');
  buildLoader(loader);
  const initrd = join(work, 'initramfs.cpio.gz');
  const objects = buildInitramfs(join(bdir, 'bin', 'busybox'), loader, initrd);
  log(`booting ${vmlinuz} with ${objects.length} objects under qemu TCG`);
  const bootStarted = Date.now();
  const console = boot(vmlinuz, initrd);
  writeFileSync(join(work, 'console.log'), console);
  const parsed = parseResults(console);
  if (!parsed.complete) throw new Error(`the guest did not finish; console tail:\n${console.slice(-3000)}`);
  process.stdout.write(`${JSON.stringify({
    kernel: pkg, release: parsed.release, vmlinux, bootSeconds: Math.round((Date.now() - bootStarted) / 1000),
    seconds: Math.round((Date.now() - started) / 1000), results: parsed.results, oom: parsed.oom,
  }, null, 2)}\n`);
} finally {
  if (keep || workArg >= 0) log(`work dir kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
