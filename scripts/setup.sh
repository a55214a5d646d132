#!/usr/bin/env bash
# One idempotent set-up for autotracer: system packages, kernel filesystems, npm
# dependencies, the native addon, the BPF objects and the TypeScript build.
# Each step checks first and only acts (and says so, with the reason) when
# something is missing or stale, so a no-change run costs a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "autotracer loads BPF programs and must run as root (try: sudo npm $(basename "${npm_lifecycle_event:-test}"))"

# --- 1. Debian packages ------------------------------------------------------
# package  ->  why we need it
declare -A WHY=(
  [clang]="compiles the BPF programs (-target bpf)"
  [llvm]="llvm-strip and friends for BPF objects"
  [libbpf-dev]="libbpf headers and library linked by the native addon"
  [bpftool]="generates vmlinux.h from the kernel's BTF; tests list programs and links"
  [libelf-dev]="libbpf's ELF dependency"
  [zlib1g-dev]="libbpf's zlib dependency"
  [pkg-config]="locates libbpf for the addon build"
  [make]="node-gyp builds the addon with make"
  [g++]="compiles the native addon"
  [gcc]="tests compile small C workloads (vfork D-state, symbolized spinners)"
  [binutils]="nm/readelf cross-check the ELF symbol reader in tests"
  [python3]="node-gyp needs python"
  [util-linux]="losetup/taskset for test workloads"
  [coreutils]="dd and friends for test workloads"
  [procps]="ps/pgrep for test diagnostics"
  [stress-ng]="CPU and syscall workloads for tracer tests"
  [fio]="disk-saturation workloads for iotracing tests"
  [e2fsprogs]="mkfs.ext4 for loop-device test file systems"
  [fdisk]="sfdisk writes the partition table of the partitioned loop device in the iotracing tests"
  [linux-perf]="perf bench sched pipe for overhead benchmarks"
  [chromium]="headless browser driven by playwright-core in the flame-graph viewer test (test/flame/viewer.test.ts)"
  [qemu-system-x86]="boots Debian's 6.1 kernel (TCG) to check which BPF objects load there (test/kernels/qemu.test.ts)"
  [lz4]="unpacks the vmlinux of that kernel's bzImage for its BTF (scripts/kernels/run.mjs)"
  [prometheus]="promtool lints the live /metrics exposition (test/metrics/promtool.test.ts); the server it ships is kept stopped and disabled"
  [bpftrace]="the run-queue latency peer (runqlat shape) the peers benchmark compares waitrate with (bench/peers.ts)"
  [prometheus-node-exporter]="the idle CPU/RSS peer of the peers benchmark; its binary is run by the bench only, the service is never started (policy-rc.d below)"
)
missing=()
for pkg in "${!WHY[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  for pkg in "${missing[@]}"; do say "installing Debian package $pkg: ${WHY[$pkg]}"; done
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not start services here (the prometheus package would start a Prometheus
  # server): without a policy-rc.d (containers usually have one), add one for the install.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# autotracer setup: no service starts during apt-get install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -qq || die "apt-get update failed"
  apt_rc=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/autotracer-apt.log 2>&1 || apt_rc=$?
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$apt_rc" = 0 ] || { tail -20 /tmp/autotracer-apt.log >&2; die "apt-get install failed (log: /tmp/autotracer-apt.log)"; }
fi
# Only promtool is wanted from the prometheus package, and only the exporter's binary (run by
# the peers bench) from prometheus-node-exporter: their services stay stopped and are not
# started at boot (the packages enable them).
for unit in prometheus prometheus-node-exporter; do
  [ -e "/etc/systemd/system/multi-user.target.wants/$unit.service" ] || continue
  say "disabling the $unit service: only its binary is used by tests/benchmarks"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
  else
    deb-systemd-helper disable "$unit.service" >/dev/null 2>&1 || rm -f "/etc/systemd/system/multi-user.target.wants/$unit.service"
  fi
done

# --- 2. Kernel filesystems -----------------------------------------------------
if ! mountpoint -q /sys/kernel/tracing; then
  say "mounting tracefs on /sys/kernel/tracing: tracepoint ids and formats live there"
  mount -t tracefs tracefs /sys/kernel/tracing || die "cannot mount tracefs"
fi
if ! mountpoint -q /sys/fs/bpf; then
  say "mounting bpffs on /sys/fs/bpf: bpftool and libbpf expect it"
  mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs"
fi
[ -r /sys/kernel/btf/vmlinux ] || die "/sys/kernel/btf/vmlinux is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF), CO-RE BPF cannot load"

# --- 3. npm dependencies ---------------------------------------------------------
lock_hash=$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
stamp=node_modules/.autotracer-deps
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  if [ -f package-lock.json ]; then
    say "installing npm dependencies (npm ci): node_modules is missing or package-lock.json changed"
    npm ci --no-audit --no-fund --loglevel=error
  else
    say "installing npm dependencies (npm install): no package-lock.json yet"
    npm install --no-audit --no-fund --loglevel=error
  fi
  lock_hash=$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
  echo "$lock_hash" > "$stamp"
fi

# --- 4. Builds (addon, BPF objects, TypeScript); each step skips when up to date ---
node scripts/build.mjs
