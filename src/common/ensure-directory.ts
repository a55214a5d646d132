// Creating a directory and its missing parents.
import fs from 'node:fs';
import path from 'node:path';

/**
 * mkdir -p without Node's `recursive: true`, which never returns on a path such as
 * /proc/x: mkdir answers ENOENT although the parent exists, and Node retries forever.
 * Here each missing ancestor is created once, top-down, and any failure is final.
 */
export function ensureDirectory(dir: string, mode?: number): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!fs.existsSync(current)) {
    missing.push(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const p of missing.reverse()) fs.mkdirSync(p, mode);
}
