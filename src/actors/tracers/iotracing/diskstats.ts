// /proc/diskstats parsing (Documentation/admin-guide/iostats.rst): one raw sample per device.
import { readFileSync } from 'node:fs';
import { IotracingError } from './errors.js';

export interface DiskSample {
  major: number;
  minor: number;
  name: string;
  reads: number;
  readSectors: number;
  readTicksMs: number;
  writes: number;
  writeSectors: number;
  writeTicksMs: number;
  inFlight: number;
  ioTicksMs: number;
  weightedTicksMs: number;
}

export function parseDiskstats(text: string): DiskSample[] {
  const out: DiskSample[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = (i: number): number => Number(f[i]);
    out.push({
      major: n(0),
      minor: n(1),
      name: f[2] ?? '',
      reads: n(3),
      readSectors: n(5),
      readTicksMs: n(6),
      writes: n(7),
      writeSectors: n(9),
      writeTicksMs: n(10),
      inFlight: n(11),
      ioTicksMs: n(12),
      weightedTicksMs: n(13),
    });
  }
  return out;
}

export function readDiskstats(procRoot: string): DiskSample[] {
  const path = `${procRoot}/diskstats`;
  try {
    return parseDiskstats(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new IotracingError('IOTRACING_DISKSTATS_UNREADABLE', `cannot read ${path}: ${String((err as Error).message)}`, { cause: err });
  }
}
