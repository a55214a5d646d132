// What the figures were measured on: they only compare within one machine and one run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { repoRoot } from '../../src/paths.js';

export interface MachineInfo {
  kernel: string;
  cpuModel: string;
  nproc: number;
  memoryBytes: number;
  node: string;
  gitCommit: string;
  gitDirty: boolean;
  loadAverageAtStart: number[];
  cgroup: string;
}

export function machineInfo(): MachineInfo {
  const git = (args: string[]): string => spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  let cgroup = 'unknown';
  try {
    cgroup = readFileSync('/proc/self/mounts', 'utf8').includes(' cgroup2 ') ? 'v2 (+ v1 hierarchies when mounted)' : 'v1';
  } catch {
    /* not Linux */
  }
  return {
    kernel: release(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    nproc: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    gitCommit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    gitDirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    cgroup,
  };
}
