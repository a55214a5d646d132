// Real workloads that make the tracers fire, each a process of ours killed by its PID:
//   cpusys    a getppid() storm in duty cycles (system time on the host);
//   cpuidle   a busy loop in the "busy" soak cgroup (user time of a container);
//   dload     vfork D-state tasks in the "dload" soak cgroup (test/dload/workloads.ts);
//   memburst  an anonymous-memory grower that grows then frees (test/fixtures/memburst/grow.c);
//   iotracing direct-IO random writes (fio, threads) on a loop device with ext4
//             (test/iotracing/loopdev.ts), from the "io" soak cgroup;
//   hungtask  a shell writing to an fsfreeze'd ext4 loop file system of its own (D in
//             percpu_rwsem_wait, TASK_UNINTERRUPTIBLE) past kernel.hung_task_timeout_secs,
//             lowered to 2 s for the run (test/kevents/hungtask.test.ts);
//   oom       an allocator (fixtures/hog.c) in the "oom" soak cgroup, limited to 64 MiB, that
//             the memory cgroup's OOM killer kills (test/kevents/oom.test.ts).
// reclaim has no workload: global direct reclaim needs the whole host (24 GB here) under
// memory pressure, which would starve everything else on the shared machine. It runs and
// takes faults, but it has nothing to report.
// stop() ends every cycle, thaws the frozen file system BEFORE killing its writer (a writer
// blocked on a frozen fs cannot die), kills every process by PID and restores the host
// (sysctls, loop devices, mounts, cgroups); it is idempotent and safe after a half-done
// start() or prepare().
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFixture, startVforkD, taskState, type VforkD } from '../../test/dload/workloads.js';
import { createLoopFs, destroyLoopFs, type LoopFs } from '../../test/iotracing/loopdev.js';
import { readSysctl, writeSysctl } from '../../test/kevents/sysctl.js';
import { spawnWorkload, type Workload } from '../../test/support/host.js';
import { repoRoot } from '../../src/paths.js';
import type { EventDocument } from '../../src/event/index.js';
import { removeSoakCgroups, SoakCgroup } from './cgroups.js';
import { SoakError } from './errors.js';
import type { Driven } from './verify.js';

const fixtures = join(repoRoot, 'bench', 'soak', 'fixtures');

/** hungtask: kernel.hung_task_timeout_secs during the run (khungtaskd then checks every 2 s). */
const HUNG_TIMEOUT_SECS = 2;
/**
 * A writer stays blocked for 8 s of every 20 s: khungtaskd reports it 2–3 times per freeze,
 * so a report that lands while the tracer restarts from an injected fault is not the only
 * chance. 20 s (not more) so a 2-minute soak (80 s active, ~15 s of it the kill -9 restart)
 * still has three or four cycles.
 */
const HANG_FREEZE_MS = 8000;
const HANG_PERIOD_MS = 20_000;
/** oom: the soak cgroup's memory limit, and one OOM kill every 20 s (cheap: ~64 MiB, ~50 ms). */
const OOM_LIMIT_BYTES = 64 * 1024 * 1024;
const OOM_PERIOD_MS = 20_000;
/** The allocator gives up by itself past this (the limit was not applied: never eat the host). */
const HOG_CAP_MB = 512;
/** Killed by us (not counted) if the OOM killer has not killed it by then. */
const OOM_GUARD_MS = 15_000;

export interface WorkloadCounts {
  storms: number;
  spins: number;
  dTasks: number;
  memBursts: number;
  ioRuns: number;
  /** Freezes whose writer was still in D state at the thaw (blocked for the whole freeze). */
  hungRuns: number;
  /** Allocators killed by the memory cgroup's OOM killer (SIGKILL not sent by us). */
  oomKills: number;
}

/** The tracer each workload count drives: the "driven-tracers-fired" check reads it. */
export const DRIVES: Record<keyof WorkloadCounts, string> = {
  storms: 'cpusys',
  spins: 'cpuidle',
  dTasks: 'dload',
  memBursts: 'memburst',
  ioRuns: 'iotracing',
  hungRuns: 'hungtask',
  oomKills: 'oom',
};

function compile(source: string, out: string): void {
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(fixtures, source)], { encoding: 'utf8' });
  if (cc.status !== 0) throw new SoakError('SOAK_SETUP_FAILED', `cc ${source} failed: ${cc.stderr}`);
}

export class SoakWorkloads {
  readonly counts: WorkloadCounts = { storms: 0, spins: 0, dTasks: 0, memBursts: 0, ioRuns: 0, hungRuns: 0, oomKills: 0 };
  /** Why a workload does not run on this host (tracer name → reason). */
  readonly skipped = new Map<string, string>();
  /** PIDs of the hung writers and of the OOM-killed allocators: their events are ours. */
  readonly hungPids = new Set<number>();
  readonly oomPids = new Set<number>();
  private readonly procs = new Set<Workload>();
  private vforks: VforkD[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private grower: Workload | undefined;
  private loop: LoopFs | undefined;
  /** hungtask's own small loop fs: freezing the iotracing one would stall the fio cycles. */
  private hangFs: LoopFs | undefined;
  private hangWriter: Workload | undefined;
  private hangEnd: NodeJS.Timeout | undefined;
  /** Sysctls as they were, each saved just before it was first written. */
  private readonly sysctls: { name: string; value: string }[] = [];
  private oomLimited = false;
  private binDir: string | undefined;
  private stopped = false;
  private readonly busy = new SoakCgroup('busy');
  private readonly dload = new SoakCgroup('dload');
  private readonly io = new SoakCgroup('io');
  private readonly oom = new SoakCgroup('oom');

  constructor(private readonly log: (msg: string) => void) {}

  /** The loop device's name, e.g. loop3 (the iotracing device filter uses it). */
  get loopDevice(): string | undefined {
    return this.loop?.name;
  }

  /**
   * The tracers these workloads drive; for hungtask and oom only the events about our own
   * writers and allocators count (any other blocked or OOM-killed task on the host is not ours).
   */
  driven(): Driven[] {
    const pidOf = (doc: EventDocument): unknown => (doc.tracer_data as { pid?: unknown } | null)?.pid;
    const victimOf = (doc: EventDocument): unknown => (doc.tracer_data as { victim?: { pid?: unknown } } | null)?.victim?.pid;
    return [...new Set(Object.values(DRIVES))].map((tracer): Driven => {
      if (tracer === 'hungtask') return { tracer, ours: (doc) => this.hungPids.has(pidOf(doc) as number) };
      if (tracer === 'oom') return { tracer, ours: (doc) => this.oomPids.has(victimOf(doc) as number) };
      return { tracer };
    });
  }

  /**
   * Compiles the fixtures, creates the cgroups and the loop devices and lowers the hung-task
   * timeout (before the agent starts). A workload this host cannot run is skipped (logged).
   */
  async prepare(): Promise<void> {
    this.binDir = mkdtempSync(join(tmpdir(), 'autotracer-soak-bin-'));
    compile('storm.c', join(this.binDir, 'storm'));
    compile('hog.c', join(this.binDir, 'hog'));
    // A previous run killed with SIGKILL could not clean up: start from empty soak cgroups.
    await removeSoakCgroups();
    for (const cg of [this.busy, this.dload, this.io, this.oom]) cg.create();
    this.loop = createLoopFs('autotracer-soak', 256);

    this.oomLimited = this.oom.limitMemory(OOM_LIMIT_BYTES);
    if (!this.oomLimited) this.skipped.set('oom', 'no memory cgroup hierarchy to limit the allocator');

    const hangUnavailable = this.hungTaskUnavailable();
    if (hangUnavailable !== undefined) {
      this.skipped.set('hungtask', hangUnavailable);
    } else {
      this.hangFs = createLoopFs('autotracer-soak-hang', 32);
      const was = readSysctl('kernel.hung_task_timeout_secs');
      if (was === String(HUNG_TIMEOUT_SECS)) {
        this.log(`warning: kernel.hung_task_timeout_secs is already ${was} (a soak killed with SIGKILL?); it is "restored" to ${was}: set it back by hand (default 120)`);
      }
      // hung_task_warnings 0: khungtaskd still fires the tracepoint, but does not print a
      // stack dump to the kernel log at every report of the run.
      this.setSysctl('kernel.hung_task_warnings', '0');
      this.setSysctl('kernel.hung_task_timeout_secs', String(HUNG_TIMEOUT_SECS));
    }
    for (const [tracer, why] of this.skipped) this.log(`${tracer}: no workload (${why})`);
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

    // hungtask: a writer blocked on a frozen fs for 8 s of every 20 s, from +4 s.
    if (this.hangFs !== undefined) {
      this.timers.push(setTimeout(() => this.hangCycle(), 4000), setInterval(() => this.hangCycle(), HANG_PERIOD_MS));
    }
    // oom: one allocator OOM-killed in the limited cgroup every 20 s, from +9 s.
    if (this.oomLimited) {
      const hogBin = join(this.binDir!, 'hog');
      this.timers.push(setTimeout(() => this.oomCycle(hogBin), 9000), setInterval(() => this.oomCycle(hogBin), OOM_PERIOD_MS));
    }
    this.log(`workloads: syscall storm, busy loop in ${this.busy.name}, D tasks in ${this.dload.name}, memory bursts, IO on ${this.loop?.device}` +
      `${this.hangFs !== undefined ? `, hung writer on frozen ${this.hangFs.device}` : ''}${this.oomLimited ? `, OOM kills in ${this.oom.name} (64 MiB)` : ''}`);
  }

  /** Kills every workload by PID and restores the host. Never throws; returns what it could not undo. */
  async stop(): Promise<string[]> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    const problems: string[] = [];
    // First: thaw, then kill the writer (the other order hangs on a task that cannot die).
    await this.endHang(false);
    await this.killVforks();
    await Promise.all([...this.procs].map((p) => p.kill()));
    this.procs.clear();
    for (const fs of [this.loop, this.hangFs]) {
      try {
        destroyLoopFs(fs);
      } catch (err) {
        problems.push(`loop device ${fs?.device}: ${(err as Error).message}`);
      }
    }
    this.loop = undefined;
    this.hangFs = undefined;
    problems.push(...this.restoreSysctls());
    problems.push(...(await removeSoakCgroups()));
    if (this.binDir !== undefined) rmSync(this.binDir, { recursive: true, force: true });
    return problems;
  }

  private hungTaskUnavailable(): string | undefined {
    if (!existsSync('/proc/sys/kernel/hung_task_timeout_secs')) return 'no CONFIG_DETECT_HUNG_TASK';
    // A blocked task would panic the host instead of giving an event.
    if (existsSync('/proc/sys/kernel/hung_task_panic') && readSysctl('kernel.hung_task_panic') !== '0') return 'kernel.hung_task_panic is set';
    if (spawnSync('fsfreeze', ['--version']).status !== 0) return 'no fsfreeze';
    return undefined;
  }

  /** Freezes the hang fs and starts a writer on it; endHang() ends the cycle HANG_FREEZE_MS later. */
  private hangCycle(): void {
    if (this.stopped || this.hangFs === undefined || this.hangWriter !== undefined) return;
    const mnt = this.hangFs.mnt;
    if (spawnSync('fsfreeze', ['-f', mnt]).status !== 0) {
      this.log(`hungtask: fsfreeze -f ${mnt} failed; cycle skipped`);
      return;
    }
    // The shell itself blocks, in open(O_CREAT|O_TRUNC) -> sb_start_write, uninterruptibly.
    this.hangWriter = this.track(spawnWorkload('sh', ['-c', `echo x > ${mnt}/blocked`]));
    this.hangEnd = setTimeout(() => void this.endHang(true), HANG_FREEZE_MS);
  }

  /** Thaws BEFORE killing the writer: a writer blocked on a frozen fs cannot die. Idempotent. */
  private async endHang(count: boolean): Promise<void> {
    clearTimeout(this.hangEnd);
    this.hangEnd = undefined;
    const writer = this.hangWriter;
    this.hangWriter = undefined;
    if (writer !== undefined && count && taskState(writer.pid) === 'D') {
      this.counts.hungRuns++;
      this.hungPids.add(writer.pid);
    }
    if (this.hangFs !== undefined) spawnSync('fsfreeze', ['-u', this.hangFs.mnt]); // fails harmlessly if not frozen
    if (writer !== undefined) {
      await writer.kill();
      this.procs.delete(writer);
    }
  }

  /** Starts an allocator, moves it into the limited cgroup, then lets it allocate. */
  private oomCycle(hogBin: string): void {
    if (this.stopped) return;
    const hog = this.track(spawnWorkload(hogBin, [String(HOG_CAP_MB)], { stdio: ['pipe', 'ignore', 'ignore'] }));
    hog.child.stdin?.on('error', () => undefined); // EPIPE if it is gone before "go"
    let killedByUs = false;
    const guard = setTimeout(() => {
      killedByUs = true;
      void hog.kill();
    }, OOM_GUARD_MS);
    void hog.exited.then((how) => {
      clearTimeout(guard);
      this.procs.delete(hog);
      if (this.stopped) return;
      if (how === 'SIGKILL' && !killedByUs) {
        this.counts.oomKills++;
        this.oomPids.add(hog.pid);
      } else this.log(`oom: allocator ${hog.pid} ended with ${how}${killedByUs ? ' (killed by the soak after 15 s)' : ''}, not an OOM kill`);
    });
    try {
      this.oom.moveIn(hog.pid);
    } catch (err) {
      // Outside the limited cgroup it must not allocate at all.
      killedByUs = true;
      void hog.kill();
      this.log(`oom: could not move allocator ${hog.pid} into ${this.oom.name}: ${(err as Error).message}`);
      return;
    }
    hog.child.stdin?.end('go\n');
  }

  private setSysctl(name: string, value: string): void {
    if (!this.sysctls.some((s) => s.name === name)) this.sysctls.push({ name, value: readSysctl(name) });
    writeSysctl(name, value);
  }

  /** Writes every saved sysctl back, last changed first; returns what failed. Idempotent. */
  private restoreSysctls(): string[] {
    const problems: string[] = [];
    for (const { name, value } of this.sysctls.splice(0).reverse()) {
      try {
        writeSysctl(name, value);
      } catch (err) {
        problems.push(`sysctl ${name}=${value}: ${(err as Error).message}`);
      }
    }
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
