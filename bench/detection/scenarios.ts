// One scenario per tracer: the lowered thresholds/intervals (through the agent's config
// only, as an operator would), how to start its anomaly, and how to end it. Every host change
// is made through detection/host.ts, so it is undone even when a run fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { readMemSample } from '../../src/actors/tracers/memburst/meminfo.js';
import { tracepointUnavailableReason } from '../../src/native/bpf/kevents.js';
import { compileFixture, taskState } from '../../test/dload/workloads.js';
import { BenchError, timedOut } from '../errors.js';
import { BENCH_CGROUP_ROOT, createBenchCgroups, createLoopFs, setSysctl, startProc, type BenchCgroups, type LoopFs, type Proc } from './host.js';

export interface Anomaly {
  /** When the anomaly began (ms since the epoch): the latency's start. */
  t0: number;
  /** Accepts only the event this anomaly caused (e.g. by pid); undefined: any new event. */
  matches?: (doc: { tracer_data?: unknown }) => boolean;
  end(): Promise<void>;
}

export interface Scenario {
  tracer: string;
  /** Why it cannot run here, or undefined. */
  unavailable(): string | undefined;
  /** The tracer's entry in the agent config (enabled, cooldown, lowered settings). */
  entry(): Record<string, unknown>;
  /** Detection interval and capture length as configured, for the report. */
  intervalSeconds: number;
  captureSeconds: number;
  /** How the anomaly is made and what it takes to fire, for the report. */
  describe: string;
  setup(runs: number): Promise<void>;
  start(run: number): Promise<Anomaly>;
  /** Pause after end() so the next run starts from a quiet signal. */
  quietMs: number;
  teardown(): Promise<void>;
}

const waitUntil = async (what: string, probe: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw timedOut(what, timeoutMs);
    await sleep(20);
  }
};

/** Host sys% (of all CPUs) over `ms`, from /proc/stat's first 8 counters, as cpusys computes it. */
async function sysPercentOver(ms: number): Promise<number> {
  const read = (): { sys: number; total: number } => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { sys: f[2]!, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  return ((b.sys - a.sys) / Math.max(1, b.total - a.total)) * 100;
}

/**
 * cpusys: stress-ng --sysinfo, 4 workers (2× the CPUs), 2 s samples, 2 s profile. The
 * thresholds are calibrated on this machine first (sys% quiet, then under the same stress-ng):
 * on a shared machine other jobs' user time caps the sys% a syscall storm reaches, so fixed
 * thresholds would measure the neighbours, not the tracer. Threshold = midway; Δ = a third of the rise.
 */
export function cpusysScenario(): Scenario {
  // 2 s samples: stress-ng's ramp-up lands inside one sample, so the Δ rule sees the whole rise.
  const settings = { sysThreshold: 30, deltaSysThreshold: 10, intervalSeconds: 2, captureSeconds: 2 };
  const stressArgs = ['--sysinfo', '4', '--timeout', '120s'];
  let calibrated = '';
  return {
    tracer: 'cpusys',
    get describe() {
      return `stress-ng --sysinfo 4; sysThreshold ${settings.sysThreshold}, deltaSysThreshold ${settings.deltaSysThreshold}${calibrated}`;
    },
    intervalSeconds: settings.intervalSeconds,
    captureSeconds: settings.captureSeconds,
    quietMs: 4000,
    unavailable: () => (spawnSync('stress-ng', ['--version']).status === 0 ? undefined : 'stress-ng not installed'),
    entry: () => ({ enabled: true, cooldownSeconds: 1, settings }),
    async setup() {
      // Other jobs' syscall storms come and go: up to 3 tries, 5 s apart.
      let quiet = 0;
      let loaded = 0;
      for (let attempt = 1; ; attempt++) {
        quiet = await sysPercentOver(2000);
        const p = startProc('stress-ng', stressArgs, { group: true });
        try {
          await sleep(1000);
          loaded = await sysPercentOver(2000);
        } finally {
          await p.kill();
        }
        if (loaded - quiet >= 8) break;
        if (attempt === 3) throw new BenchError('BENCH_HOST', `stress-ng raised host sys% only from ${quiet.toFixed(1)} to ${loaded.toFixed(1)} (3 tries): the machine is too busy for a cpusys spike`);
        await sleep(5000);
      }
      const rise = loaded - quiet;
      settings.sysThreshold = Math.floor(quiet + rise / 2);
      // A third of the rise: the ramp may straddle two samples.
      settings.deltaSysThreshold = Math.max(1, Math.floor(rise / 3));
      calibrated = ` (calibrated: sys% ${quiet.toFixed(0)} quiet, ${loaded.toFixed(0)} under stress-ng)`;
      await sleep(2000);
    },
    async start() {
      const t0 = Date.now();
      // Own process group: stress-ng's workers die with it (the group is ours).
      const p = startProc('stress-ng', stressArgs, { group: true });
      return { t0, end: () => p.kill() };
    },
    async teardown() {},
  };
}

/** dload: vfork parents in D inside a fresh cgroup of our own root per run; 0.5 s interval, threshold 0.3. */
export function dloadScenario(): Scenario {
  const perContainer = 8;
  const settings = { intervalSeconds: 0.5, threshold: 0.3, captureHost: false, containers: { plainRoots: [BENCH_CGROUP_ROOT], scanRoots: [], v1Controllers: [] } };
  let cgroups: BenchCgroups | undefined;
  let binary = '';
  return {
    tracer: 'dload',
    describe: `${perContainer} vfork parents in D in a fresh v2 cgroup; D-load EMA threshold ${settings.threshold}`,
    intervalSeconds: settings.intervalSeconds,
    captureSeconds: 0,
    quietMs: 500,
    unavailable: () => (existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? undefined : 'no cgroup v2 mount at /sys/fs/cgroup/unified'),
    entry: () => ({ enabled: true, cooldownSeconds: 1, settings }),
    async setup(runs) {
      binary = compileFixture('dload', 'vfork_d');
      // One cgroup per run, made before the agent starts so its resolver knows them all.
      cgroups = createBenchCgroups(Array.from({ length: runs }, (_, i) => `dload-r${i + 1}`));
    },
    async start(run) {
      const dir = cgroups!.dirs[run - 1]!;
      const procs: Proc[] = [];
      for (let i = 0; i < perContainer; i++) {
        // It waits for a line on stdin before its vfork: moved into the cgroup first.
        const p = startProc(binary, ['120'], { stdio: ['pipe', 'ignore', 'ignore'] });
        procs.push(p);
        writeFileSync(join(dir, 'cgroup.procs'), `${p.pid}\n`);
      }
      const t0 = Date.now();
      for (const p of procs) p.child.stdin!.write('\n');
      await waitUntil('the vfork parents in D', () => procs.every((p) => taskState(p.pid) === 'D'), 5000);
      const container = dir.split('/').pop()!;
      return {
        t0,
        matches: (doc) => JSON.stringify(doc).includes(container),
        async end() {
          for (const p of procs) {
            // the vfork child first (it is not ours by PID handle, but our process's child)
            for (const c of readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').split(/\s+/).filter(Boolean)) {
              try {
                process.kill(Number(c), 'SIGKILL');
              } catch {
                /* gone */
              }
            }
            await p.kill();
          }
        },
      };
    },
    async teardown() {
      await cgroups?.remove();
    },
  };
}

/** memburst: a process grows its anonymous memory by 1 GiB; thresholds derived from this host's meminfo. */
export function memburstScenario(): Scenario {
  const MiB = 1024 * 1024;
  const stepMib = 1024;
  let grower: Proc | undefined;
  const lines: string[] = [];
  const settings: Record<string, unknown> = { intervalSeconds: 0.2, windowSamples: 25, containers: { scanRoots: [], plainRoots: [] } };
  const send = async (cmd: 'g' | 'f'): Promise<void> => {
    const before = lines.length;
    grower!.child.stdin!.write(cmd);
    await waitUntil(`the grower's answer to ${cmd}`, () => lines.length > before, 30_000);
  };
  return {
    tracer: 'memburst',
    get describe() {
      return `a process maps and touches ${stepMib} MiB; burstPercent ${String(settings.burstPercent ?? '?')}, anonPercent ${String(settings.anonPercent ?? '?')} (half of what that causes on this host)`;
    },
    intervalSeconds: 0.2,
    captureSeconds: 0,
    quietMs: 5500, // the 25-sample window (5 s) forgets the burst
    unavailable: () => undefined,
    entry: () => ({ enabled: true, cooldownSeconds: 1, settings }),
    async setup() {
      const binary = compileFixture('memburst', 'grow');
      grower = startProc(binary, [String(stepMib), '128'], { stdio: ['pipe', 'pipe', 'inherit'] });
      createInterface({ input: grower.child.stdout! }).on('line', (l) => lines.push(l));
      await waitUntil('the grower', () => lines.includes('ready'), 10_000);
      const { anonBytes, memTotalBytes } = readMemSample('/proc');
      settings.burstPercent = Math.max(1, Math.floor(((stepMib * MiB) / anonBytes) * 100 * 0.5));
      settings.anonPercent = Math.floor(((anonBytes / memTotalBytes) * 100) / 2);
    },
    async start() {
      const t0 = Date.now();
      await send('g');
      return { t0, end: () => send('f') };
    },
    async teardown() {
      await grower?.kill();
    },
  };
}

/** iotracing: fio random direct writes saturating a loop device; util threshold 20 %, 0.5 s interval, 3 s capture. */
export function iotracingScenario(quick: boolean): Scenario {
  let fs: LoopFs | undefined;
  let dir = '';
  const durationSeconds = quick ? 1.5 : 3;
  const settings = (): Record<string, unknown> => ({
    intervalSeconds: 0.5,
    durationSeconds,
    devices: { include: [`^${fs!.name}$`] },
    thresholds: { utilPercent: 20 },
    containers: { plainRoots: [], scanRoots: [] },
  });
  return {
    tracer: 'iotracing',
    describe: 'fio 4 KiB random direct writes on an ext4 loop device; util threshold 20 % (two intervals in a row)',
    intervalSeconds: 0.5,
    captureSeconds: durationSeconds,
    quietMs: 2000,
    unavailable: () => (spawnSync('fio', ['--version']).status === 0 && spawnSync('losetup', ['--version']).status === 0 ? undefined : 'fio or losetup missing'),
    entry: () => ({ enabled: true, cooldownSeconds: 1, settings: settings() }),
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'autotracer-bench-io-'));
      fs = createLoopFs(dir, 256);
    },
    async start() {
      const t0 = Date.now();
      // --thread: fio's jobs are threads of the one PID we kill.
      const p = startProc('fio', ['--name=sat', `--filename=${fs!.mnt}/data`, '--size=64M', '--rw=randwrite', '--bs=4k', '--direct=1', '--ioengine=psync', '--thread', '--time_based', '--runtime=120']);
      return { t0, end: () => p.kill() };
    },
    async teardown() {
      await fs?.destroy();
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** hungtask: a writer blocked on a frozen file system past kernel.hung_task_timeout_secs (lowered to 2 s, restored after). */
export function hungtaskScenario(): Scenario {
  let fs: LoopFs | undefined;
  let dir = '';
  let restoreTimeout: (() => Promise<void>) | undefined;
  const timeoutSecs = 2;
  return {
    tracer: 'hungtask',
    describe: `a shell writing to an fsfreeze'd ext4 loop device (D in percpu_rwsem_wait); kernel.hung_task_timeout_secs=${timeoutSecs}`,
    intervalSeconds: timeoutSecs,
    captureSeconds: 0,
    quietMs: 500,
    unavailable: () =>
      !existsSync('/proc/sys/kernel/hung_task_timeout_secs') ? 'no CONFIG_DETECT_HUNG_TASK' : tracepointUnavailableReason('sched', 'sched_process_hang'),
    entry: () => ({ enabled: true, cooldownSeconds: 1, settings: { containers: { plainRoots: [], scanRoots: [] } } }),
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'autotracer-bench-hang-'));
      fs = createLoopFs(dir, 64);
      restoreTimeout = setSysctl('kernel.hung_task_timeout_secs', String(timeoutSecs));
    },
    async start(run) {
      if (spawnSync('fsfreeze', ['-f', fs!.mnt]).status !== 0) throw new BenchError('BENCH_HOST', `fsfreeze -f ${fs!.mnt} failed`);
      const writer = startProc('sh', ['-c', `echo x > ${fs!.mnt}/blocked-${run}`]);
      await waitUntil('the writer blocked on the frozen fs', () => taskState(writer.pid) === 'D', 5000);
      const t0 = Date.now();
      return {
        t0,
        matches: (doc) => (doc.tracer_data as { pid?: number } | undefined)?.pid === writer.pid,
        async end() {
          spawnSync('fsfreeze', ['-u', fs!.mnt]); // thaw BEFORE killing: a frozen writer cannot die
          await writer.kill();
        },
      };
    },
    async teardown() {
      await restoreTimeout?.();
      if (fs !== undefined) spawnSync('fsfreeze', ['-u', fs.mnt]);
      await fs?.destroy();
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    },
  };
}
