// Recorded inputs: the host files the built-in detectors read (/proc/stat, meminfo,
// diskstats, loadavg, the online CPUs), copied from a live host every interval into a fixture
// tree, so a detector can be tested by replaying a real episode instead of a hand-written one:
//
//   <out>/manifest.json                        {version, intervalMs, samples, files, missing, ...}
//   <out>/samples/0000/proc/stat               sample 0, as read at t = 0
//   <out>/samples/0000/sys/devices/system/cpu/online
//   <out>/samples/0001/...                     sample 1, at t = intervalMs, ...
//
// Replay: each sample's `proc` and `sys` directories are a procRoot / sysRoot
// (TracerContext.procRoot, a tracer's settings.procRoot, or the detector's read function).
// Per-process files (/proc/<pid>/...) are not recorded: they name processes of the recording
// host that a replay could not make sense of.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActorError } from './errors.js';

/** Paths relative to the host root: `proc/...` under procRoot, `sys/...` under sysRoot. */
export const RECORDED_FILES = ['proc/stat', 'proc/meminfo', 'proc/diskstats', 'proc/loadavg', 'sys/devices/system/cpu/online'] as const;

export interface RecordingManifest {
  version: 1;
  /** Kernel release of the recording host. */
  kernel: string;
  recordedAt: string;
  intervalMs: number;
  samples: number;
  files: string[];
  /** Files the host did not have (skipped in every sample). */
  missing: string[];
}

export interface RecordOptions {
  out: string;
  /** Samples are taken at 0, intervalMs, 2·intervalMs, ... up to `seconds`. */
  seconds: number;
  intervalMs: number;
  procRoot?: string;
  sysRoot?: string;
  /** Called after each sample (progress). */
  onSample?: (index: number) => void;
}

const sampleDir = (out: string, index: number): string => join(out, 'samples', String(index).padStart(4, '0'));

function sourcePath(file: string, procRoot: string, sysRoot: string): string {
  return file.startsWith('proc/') ? join(procRoot, file.slice('proc/'.length)) : join(sysRoot, file.slice('sys/'.length));
}

/** Records into `out` (which must not exist or be empty); resolves with the manifest. */
export async function recordInputs(options: RecordOptions): Promise<RecordingManifest> {
  const { out, intervalMs } = options;
  const procRoot = options.procRoot ?? '/proc';
  const sysRoot = options.sysRoot ?? '/sys';
  if (!Number.isFinite(options.seconds) || options.seconds <= 0) throw new ActorError('RECORD_BAD_OPTIONS', `seconds must be > 0, got ${options.seconds}`);
  if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new ActorError('RECORD_BAD_OPTIONS', `intervalMs must be an integer >= 10, got ${intervalMs}`);
  if (existsSync(out) && readdirSync(out).length > 0) throw new ActorError('RECORD_OUT_NOT_EMPTY', `${out} exists and is not empty: pick a new directory`);
  const missing = RECORDED_FILES.filter((f) => !existsSync(sourcePath(f, procRoot, sysRoot)));
  const files = RECORDED_FILES.filter((f) => !missing.includes(f));
  const count = Math.floor((options.seconds * 1000) / intervalMs) + 1;
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    // Against the start time, not the previous sample: the samples stay on the interval grid.
    const wait = started + i * intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    for (const file of files) {
      const target = join(sampleDir(out, i), file);
      mkdirSync(dirname(target), { recursive: true });
      // read + write, not copyFile: procfs files report size 0, copy_file_range copies nothing.
      writeFileSync(target, readFileSync(sourcePath(file, procRoot, sysRoot)));
    }
    options.onSample?.(i);
  }
  const manifest: RecordingManifest = { version: 1, kernel: release(), recordedAt: new Date(started).toISOString(), intervalMs, samples: count, files: [...files], missing: [...missing] };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export interface RecordedSample {
  index: number;
  /** Offset of this sample from the first one (index · intervalMs). */
  atMs: number;
  procRoot: string;
  sysRoot: string;
}

/** The samples of a recording, in order, as roots to hand to a tracer or a detector's reader. */
export function recordedSamples(dir: string): { manifest: RecordingManifest; samples: RecordedSample[] } {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
  if (manifest.version !== 1) throw new ActorError('RECORD_BAD_MANIFEST', `${dir}: unknown recording version ${String(manifest.version)}`);
  const samples = Array.from({ length: manifest.samples }, (_v, index) => ({
    index,
    atMs: index * manifest.intervalMs,
    procRoot: join(sampleDir(dir, index), 'proc'),
    sysRoot: join(sampleDir(dir, index), 'sys'),
  }));
  return { manifest, samples };
}
