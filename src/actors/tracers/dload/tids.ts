// The thread ids of a container, read from ONE hierarchy: v2 cgroup.threads when the
// container has a v2 directory, else the `tasks` file of its first v1 directory. The
// resolver's tasks() reads the union of every hierarchy (10 files for v2 + 4 v1
// controllers: ~8 ms per tick for 20 containers here); container runtimes put a task in
// the same relative path in every hierarchy, so one file is enough for counting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerGoneError, type Container } from '../../../containers/index.js';

export function containerTids(container: Container): number[] {
  const file =
    container.v2Path !== undefined
      ? join(container.v2Path, 'cgroup.threads')
      : (() => {
          const dir = Object.values(container.v1Paths).find((d) => d !== undefined);
          return dir === undefined ? undefined : join(dir, 'tasks');
        })();
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENODEV') {
      throw new ContainerGoneError(container.id, file, { cause: err });
    }
    throw err;
  }
  const tids: number[] = [];
  for (const line of text.split('\n')) if (line !== '') tids.push(Number(line));
  return tids;
}
