// A throw-away tree of cgroups for the resolver tests: the same relative paths in the v2
// hierarchy and in the v1 cpu, cpuacct, cpuset and memory hierarchies, all under
// /autotracer-test-containers/<suite>. Teardown walks what actually exists (so it also
// cleans up after a half-finished set-up or a crashed earlier run), moves leftover tasks to
// the hierarchy root and removes directories deepest first.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_ROOT_SUFFIX } from '../support/host.js';

export const TEST_PARENT = `/autotracer-test-containers${TEST_ROOT_SUFFIX}`;
export const V2_MOUNT = '/sys/fs/cgroup/unified';
/** v1 hierarchies the tests use, each mounted at /sys/fs/cgroup/<name> on this host. */
export const V1_USED = ['cpu', 'cpuacct', 'cpuset', 'memory'] as const;
export const hierarchyMounts = (): string[] => [V2_MOUNT, ...V1_USED.map((c) => `/sys/fs/cgroup/${c}`)];

export class CgroupTree {
  /** `/autotracer-test-containers/<suite>`: what the resolver's roots point at. */
  readonly root: string;

  constructor(suite: string) {
    this.root = `${TEST_PARENT}/${suite}`;
  }

  /** Absolute directory of a path relative to the tree root in one hierarchy mount. */
  dir(mount: string, rel = ''): string {
    return join(mount, this.root, rel);
  }

  /** Creates `rel` (and its parents) in every hierarchy; cpuset levels get cpus/mems. */
  create(rel: string): void {
    for (const mount of hierarchyMounts()) {
      const segments = join(this.root, rel).split('/').filter(Boolean);
      let dir = mount;
      for (const segment of segments) {
        const parent = dir;
        dir = join(dir, segment);
        if (existsSync(dir)) continue;
        mkdirSync(dir);
        if (mount.endsWith('/cpuset')) {
          // A v1 cpuset starts empty, and no task may join an empty cpuset: inherit the parent's.
          writeFileSync(join(dir, 'cpuset.cpus'), readFileSync(join(parent, 'cpuset.cpus'), 'utf8').trim() || '0');
          writeFileSync(join(dir, 'cpuset.mems'), readFileSync(join(parent, 'cpuset.mems'), 'utf8').trim() || '0');
        }
      }
    }
  }

  /** Moves a process into `rel` in every hierarchy. */
  moveIn(pid: number, rel: string): void {
    for (const mount of hierarchyMounts()) writeFileSync(join(this.dir(mount, rel), 'cgroup.procs'), `${pid}\n`);
  }

  /** Removes `rel` and everything under it, in every hierarchy. Returns what it could not remove. */
  async remove(rel = ''): Promise<string[]> {
    const failures: string[] = [];
    for (const mount of hierarchyMounts()) {
      const top = this.dir(mount, rel);
      for (const dir of deepestFirst(top)) {
        const err = await removeOne(mount, dir);
        if (err !== undefined) failures.push(err);
      }
    }
    if (rel === '') {
      for (const mount of hierarchyMounts()) {
        try {
          rmdirSync(join(mount, TEST_PARENT)); // shared with other suites: fine if busy or gone
        } catch {
          /* in use or gone */
        }
      }
    }
    return failures;
  }
}

function deepestFirst(top: string): string[] {
  const dirs: string[] = [];
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) visit(join(dir, e.name));
    dirs.push(dir); // after its children
  };
  visit(top);
  return dirs;
}

async function removeOne(mount: string, dir: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Leftover tasks go to the hierarchy root; we never kill them here (not necessarily ours).
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(join(mount, 'cgroup.procs'), `${pid}\n`);
        } catch {
          /* exited meanwhile */
        }
      }
    } catch {
      /* gone */
    }
    try {
      rmdirSync(dir);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (attempt === 49) return `${dir}: ${code}`;
      await sleep(20); // EBUSY for a moment after the last task left
    }
  }
  return `${dir}: not removed`;
}
