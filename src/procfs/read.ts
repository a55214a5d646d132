// The one way procfs files are read: a file that cannot be read yields undefined instead of
// an exception, because every scan of live tasks races with exits (ENOENT/ESRCH) and kernel
// threads lack some files. Callers that must report why a read failed use readFileSync.
import { readFileSync } from 'node:fs';

export function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
