// Host pieces the detection scenarios change, each undone by its own handle and registered
// with the harness's cleanup list (bench/lib/cleanup.ts) so an interrupted run undoes them
// too: a private cgroup root for D-state "containers", loop devices, sysctls, workloads.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError } from '../errors.js';
import { onCleanup } from '../lib/cleanup.js';
import { evacuateAndRemoveCgroup } from '../../test/support/host.js';

/** cgroup v2 mount on this machine kind (v1 hierarchies under /sys/fs/cgroup/<controller>). */
export const V2_MOUNT = '/sys/fs/cgroup/unified';
/** Not shared with any test root: concurrent test runs never see or remove it. */
export const BENCH_CGROUP_ROOT = '/autotracer-bench';

export interface BenchCgroups {
  dirs: string[];
  remove(): Promise<void>;
}

/** Creates <v2>/autotracer-bench/<name> for each name; remove() moves stragglers out and rmdirs. */
export function createBenchCgroups(names: string[]): BenchCgroups {
  const root = join(V2_MOUNT, BENCH_CGROUP_ROOT);
  if (!existsSync(V2_MOUNT)) throw new BenchError('BENCH_HOST', `no cgroup v2 mount at ${V2_MOUNT}`);
  const dirs = names.map((n) => join(root, n));
  const removeAll = async (): Promise<void> => {
    for (const dir of [...dirs, root]) {
      // The root keeps cgroups we did not make (ENOTEMPTY): those are left alone.
      await evacuateAndRemoveCgroup(dir, V2_MOUNT);
    }
  };
  const undo = onCleanup(`cgroups under ${root}`, removeAll);
  if (!existsSync(root)) mkdirSync(root);
  for (const d of dirs) if (!existsSync(d)) mkdirSync(d);
  return { dirs, remove: undo };
}

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** SIGKILLs this PID (and with group: true, the process group it leads, which we created). */
  kill(): Promise<void>;
}

/** Starts a workload killed by its own PID (or its own process group, when detached). */
export function startProc(cmd: string, args: string[], options: SpawnOptions & { group?: boolean } = {}): Proc {
  const { group, ...spawnOptions } = options;
  const child = spawn(cmd, args, { stdio: 'ignore', ...spawnOptions, detached: group === true });
  if (child.pid === undefined) throw new BenchError('BENCH_HOST', `could not start ${cmd}`);
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const undo = onCleanup(`${cmd} pid ${pid}`, async () => {
    try {
      process.kill(group === true ? -pid : pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await exited;
  });
  return { pid, child, kill: undo };
}

export interface LoopFs {
  device: string;
  name: string;
  mnt: string;
  destroy(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new BenchError('BENCH_HOST', `${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/** An ext4 file system on a fresh loop device, mounted in a temp dir. destroy() thaws, unmounts, detaches. */
export function createLoopFs(dir: string, sizeMb: number): LoopFs {
  const image = join(dir, 'disk.img');
  const mnt = join(dir, 'mnt');
  run('truncate', ['-s', `${sizeMb}M`, image]);
  const device = run('losetup', ['-f', '--show', image]);
  const destroyNow = async (): Promise<void> => {
    spawnSync('fsfreeze', ['-u', mnt]);
    for (let i = 0; i < 30 && spawnSync('mountpoint', ['-q', mnt]).status === 0; i++) {
      if (spawnSync('umount', [mnt]).status !== 0) await sleep(100);
    }
    if (spawnSync('mountpoint', ['-q', mnt]).status === 0) spawnSync('umount', ['-l', mnt]);
    spawnSync('losetup', ['-d', device]);
  };
  const destroy = onCleanup(`loop device ${device}`, destroyNow);
  try {
    run('mkfs.ext4', ['-q', '-F', device]);
    mkdirSync(mnt);
    run('mount', [device, mnt]);
  } catch (err) {
    void destroy();
    throw err;
  }
  return { device, name: device.replace('/dev/', ''), mnt, destroy };
}

/** Sets a sysctl; the returned function (also registered for cleanup) writes the old value back. */
export function setSysctl(name: string, value: string): () => Promise<void> {
  const path = `/proc/sys/${name.replaceAll('.', '/')}`;
  const old = readFileSync(path, 'utf8').trim();
  const undo = onCleanup(`sysctl ${name}=${old}`, () => writeFileSync(path, `${old}\n`));
  writeFileSync(path, `${value}\n`);
  return undo;
}
