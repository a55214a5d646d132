// Test workloads for dload: throw-away cgroups ("containers") in chosen hierarchies, and
// vfork D-state processes. Teardown is by exact PID and exact directory, never by name.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/paths.js';
import { evacuateAndRemoveCgroup, TEST_ROOT_SUFFIX, spawnWorkload, type Workload } from '../support/host.js';

export const TEST_ROOT = `/autotracer-test-dload${TEST_ROOT_SUFFIX}`;
export const V2_MOUNT = '/sys/fs/cgroup/unified';
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'blkio'] as const;
export const v1Mount = (c: string): string => `/sys/fs/cgroup/${c}`;

export type Hierarchies = 'both' | 'v1' | 'v2';

export function mounts(h: Hierarchies): string[] {
  const v1 = V1_CONTROLLERS.map(v1Mount);
  return h === 'v2' ? [V2_MOUNT] : h === 'v1' ? v1 : [V2_MOUNT, ...v1];
}

/** A container = the same relative path under TEST_ROOT in the chosen hierarchies. */
export class TestContainer {
  constructor(
    readonly name: string,
    readonly hierarchies: Hierarchies,
  ) {}

  dirs(): string[] {
    return mounts(this.hierarchies).map((m) => join(m, TEST_ROOT, this.name));
  }

  create(): void {
    for (const m of mounts(this.hierarchies)) {
      const parent = join(m, TEST_ROOT);
      if (!existsSync(parent)) mkdirSync(parent);
      mkdirSync(join(parent, this.name));
    }
  }

  moveIn(pid: number): void {
    for (const d of this.dirs()) writeFileSync(join(d, 'cgroup.procs'), `${pid}\n`);
  }
}

/** Removes every directory under TEST_ROOT (tasks moved to the root first) and TEST_ROOT itself. */
export async function removeTestRoot(): Promise<string[]> {
  const failures: string[] = [];
  for (const m of mounts('both')) {
    const root = join(m, TEST_ROOT);
    if (!existsSync(root)) continue;
    const dirs = spawnSync('find', [root, '-mindepth', '1', '-depth', '-type', 'd'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const dir of [...dirs, root]) {
      const failed = await evacuateAndRemoveCgroup(dir, m);
      if (failed !== undefined) failures.push(`${dir}: ${failed}`);
    }
  }
  return failures;
}

let binDir: string | undefined;

/**
 * Compiles a C fixture of test/fixtures/<area>/ into this test process's temp dir (removed
 * when the process exits: node:test runs each file in its own process); returns its path.
 */
export function compileFixture(area: string, name: string): string {
  if (binDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'autotracer-fixtures-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    binDir = dir;
  }
  // Keep the binary's own name: tests match the process name (comm).
  mkdirSync(join(binDir, area), { recursive: true });
  const out = join(binDir, area, name);
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(repoRoot, 'test', 'fixtures', area, `${name}.c`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc ${name}.c failed: ${r.stderr}`);
  return out;
}

export interface VforkD {
  parent: Workload;
  /** Starts the vfork (the parent enters D). */
  go(): void;
  /** Kills the sleeping child then the parent (both by PID). */
  kill(): Promise<void>;
}

export function startVforkD(binary: string, childSeconds: number): VforkD {
  const parent = spawnWorkload(binary, [String(childSeconds)], { stdio: ['pipe', 'ignore', 'ignore'] });
  return {
    parent,
    go() {
      parent.child.stdin?.write('\n');
    },
    async kill() {
      for (const pid of childrenOf(parent.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await parent.kill();
    },
  };
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function taskState(tid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${tid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
