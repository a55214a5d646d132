// The soak's "containers": plain cgroups under /autotracer-soak in the v2 hierarchy and in
// the v1 cpu, cpuacct, memory and blkio hierarchies (the agent is configured with
// plainRoots ['/autotracer-soak'], so each child is a container of type "cgroup"). Its own
// root, so it never collides with a test's cgroups; removed at the end even on failure.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evacuateAndRemoveCgroup } from '../../test/support/host.js';

export const SOAK_CGROUP_ROOT = `/autotracer-soak${(process.env.AUTOTRACER_TEST_SUFFIX ?? '').replace(/[^A-Za-z0-9_-]/g, '')}`;
const MOUNTS = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuacct', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/blkio'];

function mounts(): string[] {
  return MOUNTS.filter((m) => existsSync(join(m, 'cgroup.procs')));
}

export class SoakCgroup {
  constructor(readonly name: string) {}

  dirs(): string[] {
    return mounts().map((m) => join(m, SOAK_CGROUP_ROOT, this.name));
  }

  create(): void {
    for (const dir of this.dirs()) mkdirSync(dir, { recursive: true });
  }

  /**
   * Caps the cgroup's memory (v1 memory.limit_in_bytes, and memory.max where the unified
   * hierarchy has the memory controller) so an allocator in it is OOM-killed by the memory
   * cgroup, never by the host. Returns false when no hierarchy here can limit memory.
   */
  limitMemory(bytes: number): boolean {
    let limited = false;
    for (const dir of this.dirs()) {
      for (const file of ['memory.limit_in_bytes', 'memory.max']) {
        if (!existsSync(join(dir, file))) continue;
        writeFileSync(join(dir, file), `${bytes}\n`);
        limited = true;
      }
    }
    return limited;
  }

  /** Moves a process into this cgroup in every hierarchy (a process that already exited is ignored). */
  moveIn(pid: number): void {
    for (const dir of this.dirs()) {
      try {
        writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  }
}

/** Removes every soak cgroup (leftover tasks moved to the hierarchy root first); returns failures. */
export async function removeSoakCgroups(): Promise<string[]> {
  const failures: string[] = [];
  for (const m of mounts()) {
    const root = join(m, SOAK_CGROUP_ROOT);
    if (!existsSync(root)) continue;
    let children: string[] = [];
    try {
      children = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name));
    } catch {
      /* gone */
    }
    for (const dir of [...children, root]) {
      const failed = await evacuateAndRemoveCgroup(dir, m);
      if (failed !== undefined) failures.push(`${dir}: ${failed}`);
    }
  }
  return failures;
}
