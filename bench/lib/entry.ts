// Each bench module is both a library (imported by bench/run.ts) and a script of its own
// (`node dist/bench/storage.js`): its CLI part runs only when it is the process's entry file.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

export function isEntry(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!isMainThread || script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}
