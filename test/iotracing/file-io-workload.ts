// The file-io workload (test/fixtures/iotracing/file-io.py) in its own test cgroup, started
// only once it is inside the cgroup (it waits for a line on stdin) and ready (its files made).
import { fileURLToPath } from 'node:url';
import { createTestCgroup, moveToCgroup, removeTestCgroup, spawnWorkload, waitFor, type TestCgroup, type Workload } from '../support/host.js';

const workloadScript = fileURLToPath(new URL('../../../test/fixtures/iotracing/file-io.py', import.meta.url));

export interface FileIoWorkload {
  worker: Workload;
  cg: TestCgroup;
}

/** Runs the workload on the directory `dir` in a test cgroup named `name`; stop it with stopFileIoWorkload. */
export async function startFileIoWorkload(dir: string, name: string): Promise<FileIoWorkload> {
  const cg = createTestCgroup(name);
  const worker = spawnWorkload('python3', [workloadScript, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const started = { worker, cg };
  try {
    moveToCgroup(worker.pid, cg);
    let out = '';
    worker.child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    worker.child.stdin?.write('go\n');
    await waitFor(() => out.includes('ready'), { timeoutMs: 15_000, what: 'the file-io workload ready' });
  } catch (err) {
    await stopFileIoWorkload(started);
    throw err;
  }
  return started;
}

/** Kills the workload (by its pid) and removes its cgroup; idempotent, safe on undefined. */
export async function stopFileIoWorkload(w: FileIoWorkload | undefined): Promise<void> {
  await w?.worker.kill();
  await removeTestCgroup(w?.cg);
}
