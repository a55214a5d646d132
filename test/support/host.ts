// Host helpers for tests that touch the real machine: test cgroups (v2 + optional v1
// hierarchies), polling with deadlines, bpftool inspection and workloads that are killed
// by their own PID. Everything is idempotent and safe to call from teardown, also after
// a failure half-way through set-up.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CGROUP_V2_ROOT, cgroupIdOfPath } from '../../src/native/cgroup-id.js';

export const CGROUP_V1_ROOT = '/sys/fs/cgroup';
/**
 * Suffix for every test cgroup root (AUTOTRACER_TEST_SUFFIX, default none): two suites run at
 * once from two checkouts (parallel development) then never share a cgroup.
 */
export const TEST_ROOT_SUFFIX = (process.env.AUTOTRACER_TEST_SUFFIX ?? '').replace(/[^A-Za-z0-9_-]/g, '');
/** All test cgroups live under this directory, in every hierarchy used. */
export const TEST_CGROUP_PARENT = `autotracer-test${TEST_ROOT_SUFFIX}`;

export interface TestCgroup {
  name: string;
  /** /sys/fs/cgroup/unified/autotracer-test/<name> */
  v2Path: string;
  /** v1 hierarchy name (cpu, memory, ...) -> directory */
  v1Paths: Record<string, string>;
  /** v2 cgroup id (inode), what bpf_get_current_cgroup_id() reports for its tasks. */
  id: bigint;
}

function allPaths(cg: TestCgroup): string[] {
  return [cg.v2Path, ...Object.values(cg.v1Paths)];
}

function mkdirWithRetry(dir: string): void {
  // A concurrent removeTestCgroup may rmdir the shared parent between our mkdir -p and
  // the leaf mkdir; retry a few times instead of failing the test.
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir, { recursive: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
  }
}

/** Creates (or reuses) autotracer-test/<name> in the v2 hierarchy and in each given v1 hierarchy. */
export function createTestCgroup(name: string, options: { v1?: string[] } = {}): TestCgroup {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`test cgroup name '${name}' must be a plain directory name`);
  const v2Path = join(CGROUP_V2_ROOT, TEST_CGROUP_PARENT, name);
  mkdirWithRetry(v2Path);
  const v1Paths: Record<string, string> = {};
  for (const hierarchy of options.v1 ?? []) {
    const dir = join(CGROUP_V1_ROOT, hierarchy, TEST_CGROUP_PARENT, name);
    mkdirWithRetry(dir);
    v1Paths[hierarchy] = dir;
  }
  return { name, v2Path, v1Paths, id: cgroupIdOfPath(v2Path) };
}

/**
 * Gives the cgroup (and its test parent) the largest v1 cpu.shares, 262144 against the host's
 * 1024, so its tasks get their CPU whatever else runs on this shared machine (a build, another
 * suite, a CPU hog): a host task then gets ~0.4 % of a CPU while the test's tasks are runnable.
 * Tests whose assertions are about the CPU their own workload got (samples of a busy loop, a
 * quota-bounded spike, who waits for whom) need it; niceness cannot do it, because CFS weighs
 * the group, not the task, against the host's tasks. Needs the cgroup in the v1 cpu hierarchy.
 */
export function favourOnCpu(cg: TestCgroup): void {
  const cpuDir = cg.v1Paths.cpu;
  if (cpuDir === undefined) throw new Error(`test cgroup ${cg.name} is not in the v1 cpu hierarchy: create it with { v1: ['cpu', ...] }`);
  for (const dir of [dirname(cpuDir), cpuDir]) writeFileSync(join(dir, 'cpu.shares'), '262144');
}

/** Moves `pid` into the cgroup in every hierarchy it was created in. */
export function moveToCgroup(pid: number, cg: TestCgroup): void {
  for (const dir of allPaths(cg)) writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`);
}

/** PIDs in one cgroup directory (empty when it does not exist). */
export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Moves the tasks of cgroup `dir` to `hierarchyRoot`, then removes `dir`, retrying (50 × 20 ms)
 * while rmdir fails: it says EBUSY for a moment after the last task left, and a task may be
 * forking meanwhile. Returns undefined when removed or already gone, else rmdir's last error code.
 */
export async function evacuateAndRemoveCgroup(dir: string, hierarchyRoot: string): Promise<string | undefined> {
  for (let attempt = 0; ; attempt++) {
    for (const pid of cgroupPids(dir)) {
      try {
        writeFileSync(join(hierarchyRoot, 'cgroup.procs'), `${pid}\n`);
      } catch {
        // The process exited meanwhile: nothing to move.
      }
    }
    try {
      rmdirSync(dir);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (code === 'ENOENT') return undefined;
      if (attempt >= 49) return code;
      await sleep(20);
    }
  }
}

/**
 * Moves leftover processes out (to the hierarchy root), then removes the directory in every
 * hierarchy, and finally the shared parent when it is empty. Never throws for an
 * already-removed cgroup.
 */
export async function removeTestCgroup(cg: TestCgroup | undefined): Promise<void> {
  if (cg === undefined) return;
  const failures: string[] = [];
  for (const dir of allPaths(cg)) {
    if (!existsSync(dir)) continue;
    const parent = dirname(dir);
    // Leftovers go to the hierarchy root (the parent of autotracer-test), not to
    // autotracer-test itself: a process there would keep the shared parent from being removed.
    const failed = await evacuateAndRemoveCgroup(dir, dirname(parent));
    if (failed !== undefined) failures.push(`${dir}: ${failed}`);
    // The shared parent goes when empty; another test still using it makes this fail
    // with EBUSY/ENOTEMPTY, which is fine.
    try {
      rmdirSync(parent);
    } catch {
      /* in use or gone */
    }
  }
  if (failures.length > 0) throw new Error(`could not remove test cgroup ${cg.name}: ${failures.join(', ')}`);
}

/**
 * Polls `fn` until it returns a truthy value (which is returned) or the deadline passes
 * (throws, naming `what` and the last value seen). fn may be async.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'} (last value: ${String(last)})`);
    }
    await sleep(intervalMs);
  }
}

export interface BpftoolProg {
  id: number;
  type: string;
  name?: string;
  [field: string]: unknown;
}
export interface BpftoolLink {
  id: number;
  type: string;
  prog_id: number;
  [field: string]: unknown;
}

function bpftoolJson<T>(args: string[]): T[] {
  // Large hosts list many programs: raise the 1 MiB default output buffer.
  const r = spawnSync('bpftool', ['-j', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`bpftool ${args.join(' ')} failed: ${r.stderr}`);
  const out = r.stdout.trim();
  return out === '' ? [] : (JSON.parse(out) as T[]);
}

/** `bpftool -j prog show`: every BPF program loaded on the host. */
export function bpftoolProgs(): BpftoolProg[] {
  return bpftoolJson<BpftoolProg>(['prog', 'show']);
}

/** `bpftool -j link show`: every BPF link on the host. */
export function bpftoolLinks(): BpftoolLink[] {
  return bpftoolJson<BpftoolLink>(['link', 'show']);
}

export interface Workload {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGKILLs exactly this PID (if still running) and waits for it to be reaped. Idempotent. */
  kill(): Promise<void>;
}

/** Starts a process (stdio ignored unless given) whose handle kills exactly its PID. */
export function spawnWorkload(cmd: string, args: string[] = [], options: SpawnOptions = {}): Workload {
  const child = spawn(cmd, args, { stdio: 'ignore', ...options });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const pid = child.pid;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  });
  return {
    pid,
    child,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Online CPU ids, from /sys/devices/system/cpu/online (e.g. "0-1,4"). */
export function onlineCpus(): number[] {
  const text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  const cpus: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}
