// Read / write / restore sysctls through /proc/sys (tests restore every value they change).
import { readFileSync, writeFileSync } from 'node:fs';

export function readSysctl(name: string): string {
  return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
}

export function writeSysctl(name: string, value: string): void {
  writeFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, `${value}\n`);
}

/** Saves the current values; restore() writes them back (idempotent). */
export function saveSysctls(names: string[]): { restore(): void } {
  const saved = names.map((n) => [n, readSysctl(n)] as const);
  return {
    restore() {
      for (const [n, v] of saved) {
        try {
          writeSysctl(n, v);
        } catch (err) {
          console.error(`could not restore ${n}=${v}: ${String(err)}`);
        }
      }
    },
  };
}
