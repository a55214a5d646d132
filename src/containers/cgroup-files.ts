// Reading one file of a container's cgroup directory. The point is telling apart the two
// ENOENTs: the directory is gone (container stopped → CONTAINER_GONE, the caller skips
// it) versus the directory exists but this hierarchy does not provide the file (e.g. no
// cpu controller on v2 → the caller falls back to another source).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerError, ContainerGoneError } from './errors.js';
import type { Container } from './types.js';

/** The file's text, or undefined when the directory exists but the file does not. */
export function readCgroupFile(container: Pick<Container, 'id'>, dir: string, file: string): string | undefined {
  const path = join(dir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENODEV: reading a file of a cgroup that is being destroyed.
    if (code === 'ENOENT' || code === 'ENODEV') {
      if (!existsSync(dir)) throw new ContainerGoneError(container.id, dir, { cause: err });
      return undefined;
    }
    throw new ContainerError('CONTAINER_READ_FAILED', `cannot read ${path}: ${code ?? String(err)}`, { cause: err });
  }
}

/** `key value` lines (cpu.stat, cpuacct.stat) → map of numbers. */
export function parseKeyValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== undefined && key !== '' && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

/** A CPU list such as `0-3,8,10-11` → how many CPUs it names (0 for an empty list). */
export function countCpuList(text: string): number {
  let count = 0;
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    const end = b === undefined || Number.isNaN(b) ? a : b;
    count += end - a + 1;
  }
  return count;
}

/** CPUs the kernel has online, from /sys/devices/system/cpu/online. */
export function onlineCpuCount(): number {
  return countCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
}
