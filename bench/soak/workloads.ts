// Real workloads that make the tracers fire, each a process of ours killed by its PID:
//   cpusys    a getppid() storm in duty cycles (system time on the host);
//   cpuidle   a busy loop in the "busy" soak cgroup (user time of a container);
//   dload     vfork D-state tasks in the "dload" soak cgroup (test/dload/workloads.ts);
//   memburst  an anonymous-memory grower that grows then frees (test/fixtures/memburst/grow.c);
//   iotracing direct-IO random writes (fio, threads) on a loop device with ext4
//             (test/iotracing/loopdev.ts), from the "io" soak cgroup.
// stop() ends every cycle, kills every process by PID and restores the host (loop device,
// mount, cgroups); it is idempotent and safe after a half-done start().
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFixture, startVforkD, type VforkD } from '../../test/dload/workloads.js';
import { createLoopFs, destroyLoopFs, type LoopFs } from '../../test/iotracing/loopdev.js';
import { spawnWorkload, type Workload } from '../../test/support/host.js';
import { repoRoot } from '../../src/paths.js';
import { removeSoakCgroups, SoakCgroup } from './cgroups.js';
import { SoakError } from './errors.js';

const stormSource = join(repoRoot, 'bench', 'soak', 'fixtures', 'storm.c');

export interface WorkloadCounts {
  storms: number;
  spins: number;
  dTasks: number;
  memBursts: number;
  ioRuns: number;
}

export class SoakWorkloads {
  readonly counts: WorkloadCounts = { storms: 0, spins: 0, dTasks: 0, memBursts: 0, ioRuns: 0 };
  private readonly procs = new Set<Workload>();
  private vforks: VforkD[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private grower: Workload | undefined;
  private loop: LoopFs | undefined;
  private binDir: string | undefined;
  private stopped = false;
  private readonly busy = new SoakCgroup('busy');
  private readonly dload = new SoakCgroup('dload');
  private readonly io = new SoakCgroup('io');

  constructor(private readonly log: (msg: string) => void) {}

  /** The loop device's name, e.g. loop3 (the iotracing device filter uses it). */
  get loopDevice(): string | undefined {
    return this.loop?.name;
  }

  /** Compiles the fixtures and creates the cgroups and the loop device (before the agent starts). */
  async prepare(): Promise<void> {
    this.binDir = mkdtempSync(join(tmpdir(), 'autotracer-soak-bin-'));
    const storm = join(this.binDir, 'storm');
    const cc = spawnSync('cc', ['-O2', '-Wall', '-o', storm, stormSource], { encoding: 'utf8' });
    if (cc.status !== 0) throw new SoakError('SOAK_SETUP_FAILED', `cc storm.c failed: ${cc.stderr}`);
    // A previous run killed with SIGKILL could not clean up: start from empty soak cgroups.
    await removeSoakCgroups();
    for (const cg of [this.busy, this.dload, this.io]) cg.create();
    this.loop = createLoopFs('autotracer-soak', 256);
  }

  start(): void {
    const storm = join(this.binDir!, 'storm');
    const vforkBin = compileFixture('dload', 'vfork_d');
    const growBin = compileFixture('memburst', 'grow');

    this.track(spawnWorkload(storm, ['sys', '3000', '7000']));
    this.counts.storms++;
    const spin = this.track(spawnWorkload(storm, ['spin', '4000', '6000']));
    this.busy.moveIn(spin.pid);
    this.counts.spins++;

    // dload: six D tasks for 12 s out of every 20 s.
    const dCycle = (): void => {
      if (this.stopped) return;
      void this.killVforks().then(() => {
        if (this.stopped) return;
        for (let i = 0; i < 6; i++) {
          const d = startVforkD(vforkBin, 12);
          this.dload.moveIn(d.parent.pid);
          d.go();
          this.vforks.push(d);
          this.counts.dTasks++;
        }
      });
    };
    dCycle();
    this.timers.push(setInterval(dCycle, 20_000));

    // memburst: +768 MiB of anonymous memory for 6 s out of every 15 s.
    this.grower = this.track(spawnWorkload(growBin, ['256', '0'], { stdio: ['pipe', 'ignore', 'ignore'] }));
    const memCycle = (): void => {
      if (this.stopped || this.grower === undefined) return;
      this.grower.child.stdin?.write('ggg');
      this.counts.memBursts++;
      setTimeout(() => {
        if (!this.stopped) this.grower?.child.stdin?.write('f');
      }, 6000);
    };
    this.timers.push(setTimeout(memCycle, 3000), setInterval(memCycle, 15_000));

    // iotracing: 4 s of direct random writes every 10 s.
    const ioCycle = (): void => {
      if (this.stopped || this.loop === undefined) return;
      const fio = this.track(spawnWorkload('fio', [
        '--name=soak', `--filename=${join(this.loop.mnt, 'soak.dat')}`, '--rw=randwrite', '--bs=4k', '--size=64m',
        '--direct=1', '--ioengine=psync', '--time_based', '--runtime=4', '--thread', '--output=/dev/null',
      ]));
      this.io.moveIn(fio.pid);
      this.counts.ioRuns++;
      void fio.exited.then(() => this.procs.delete(fio));
    };
    ioCycle();
    this.timers.push(setInterval(ioCycle, 10_000));
    this.log(`workloads: syscall storm, busy loop in ${this.busy.name}, D tasks in ${this.dload.name}, memory bursts, IO on ${this.loop?.device}`);
  }

  /** Kills every workload by PID and restores the host. Never throws; returns what it could not undo. */
  async stop(): Promise<string[]> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    const problems: string[] = [];
    await this.killVforks();
    await Promise.all([...this.procs].map((p) => p.kill()));
    this.procs.clear();
    try {
      destroyLoopFs(this.loop);
    } catch (err) {
      problems.push(`loop device: ${(err as Error).message}`);
    }
    this.loop = undefined;
    problems.push(...(await removeSoakCgroups()));
    if (this.binDir !== undefined) rmSync(this.binDir, { recursive: true, force: true });
    return problems;
  }

  private track(w: Workload): Workload {
    this.procs.add(w);
    return w;
  }

  private async killVforks(): Promise<void> {
    const old = this.vforks;
    this.vforks = [];
    await Promise.all(old.map((d) => d.kill()));
  }
}
