// Is a task that /proc reports as D really frozen by the v1 freezer? Since Linux 6.1 a
// sleeping task is frozen in place (TASK_FROZEN, its old state saved): /proc then shows it
// as D with the wchan and stack of its ORIGINAL sleep (e.g. hrtimer_nanosleep), so neither
// tells. A task frozen while running sits in __refrigerator instead. The reliable signal is
// the task's v1 freezer cgroup: freezer.state FROZEN or FREEZING. (The v2 freezer shows
// such tasks as S, so it needs nothing.)
import { readFileSync } from 'node:fs';
import { readProcPidCgroup } from '../../../procfs/index.js';

/** The v1 freezer hierarchy's mount point from mountinfo, or undefined when there is none. */
export function findFreezerMount(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOptions] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' || superOptions === undefined) continue;
    if (superOptions.split(',').includes('freezer')) return line.slice(0, sep).split(' ')[4]?.replace(/\\040/g, ' ');
  }
  return undefined;
}

/** One probe per scan: freezer.state is read once per freezer cgroup. */
export class FreezerProbe {
  private readonly states = new Map<string, boolean>();

  constructor(
    private readonly procRoot: string,
    private readonly mount: string | undefined,
  ) {}

  static forHost(procRoot: string): FreezerProbe {
    let mount: string | undefined;
    try {
      mount = findFreezerMount(readFileSync(`${procRoot}/self/mountinfo`, 'utf8'));
    } catch {
      mount = undefined;
    }
    return new FreezerProbe(procRoot, mount);
  }

  isFrozen(tid: number): boolean {
    if (this.mount === undefined) return false;
    // The task's freezer cgroup from /proc/<tid>/cgroup ("7:freezer:/a/b" → "/a/b"); none when it exited.
    const path = readProcPidCgroup(this.procRoot, tid)?.v1.get('freezer');
    if (path === undefined || path === '/') return false; // the root cannot be frozen
    let frozen = this.states.get(path);
    if (frozen === undefined) {
      try {
        const state = readFileSync(`${this.mount}${path}/freezer.state`, 'utf8').trim();
        frozen = state === 'FROZEN' || state === 'FREEZING';
      } catch {
        frozen = false;
      }
      this.states.set(path, frozen);
    }
    return frozen;
  }
}
