// Support for the waitrate tests: test "containers" (a v2 cgroup, plus v1 cpu/cpuacct so
// the resolver finds accounting) under autotracer-test/, CPU hogs pinned to one CPU, and
// the kernel's own per-task run-queue wait (/proc/<pid>/task/<tid>/schedstat field 2).
import { readdirSync, readFileSync } from 'node:fs';
import { createTestCgroup, favourOnCpu, moveToCgroup, removeTestCgroup, spawnWorkload, type TestCgroup, type Workload } from '../support/host.js';

export const HOG_SCRIPT = new URL('../../../test/fixtures/waitrate/hog.sh', import.meta.url).pathname;

export interface TestContainer {
  cg: TestCgroup;
  workloads: Workload[];
}

/** A test container (v2 + v1 cpu, cpuacct) whose path is autotracer-test/<name>. */
export function createContainer(name: string): TestContainer {
  const cg = createTestCgroup(name, { v1: ['cpu', 'cpuacct'] });
  // Host tasks on the pinned CPU would otherwise show up as the test's external wait (measured:
  // inner 32.5 % vs external 34.2 % with a g++ build beside the suite).
  favourOnCpu(cg);
  return { cg, workloads: [] };
}

/** Starts a busy loop pinned to `cpu` and moves it into the container. */
export function startHog(container: TestContainer, cpu: number): Workload {
  const w = spawnWorkload('taskset', ['-c', String(cpu), 'sh', HOG_SCRIPT]);
  container.workloads.push(w);
  moveToCgroup(w.pid, container.cg);
  return w;
}

/** Starts a mostly-sleeping process (wakes every 100 ms) in the container. */
export function startSleeper(container: TestContainer): Workload {
  const w = spawnWorkload('sh', ['-c', 'while :; do sleep 0.1; done']);
  container.workloads.push(w);
  moveToCgroup(w.pid, container.cg);
  return w;
}

/** Kills exactly the workloads it started, then removes the cgroup everywhere. Never throws for gone things. */
export async function destroyContainer(container: TestContainer | undefined): Promise<void> {
  if (container === undefined) return;
  for (const w of container.workloads) await w.kill();
  await removeTestCgroup(container.cg);
}

/** Sum of schedstat field 2 (ns waited on a run queue) over every thread of the given processes. */
export function runQueueWaitNs(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/);
        sum += Number(fields[1] ?? 0);
      } catch {
        /* thread exited */
      }
    }
  }
  return sum;
}
