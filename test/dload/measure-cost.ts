// Measures the idle cost of dload and memburst (not a test; run as root):
//   node dist-<you>/test/dload/measure-cost.js [containers=20] [tasksPerContainer=10] [seconds=10]
// Each tracer runs with a fast interval (100 ms) so many ticks are averaged; CPU per tick is
// process.cpuUsage() over the run minus an idle baseline of the same length, divided by the
// ticks; the cost at the default 10 s interval is 6 ticks per minute.
import { setTimeout as sleep } from 'node:timers/promises';
import { dloadSettingsSchema } from '../../src/actors/tracers/dload/config.js';
import { DloadTracer } from '../../src/actors/tracers/dload/index.js';
import { memburstSettingsSchema } from '../../src/actors/tracers/memburst/config.js';
import { MemburstTracer } from '../../src/actors/tracers/memburst/index.js';
import { spawnWorkload, type Workload } from '../support/host.js';
import { testContext } from '../support/tracer-context.js';
import { TEST_ROOT, TestContainer, V1_CONTROLLERS, removeTestRoot } from './workloads.js';

const containers = Number(process.argv[2] ?? 20);
const perContainer = Number(process.argv[3] ?? 10);
const seconds = Number(process.argv[4] ?? 10);

async function cpuMsOf(run: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const abort = new AbortController();
  const before = process.cpuUsage();
  const done = run(abort.signal);
  await sleep(seconds * 1000);
  abort.abort();
  await done;
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

const workloads: Workload[] = [];
try {
  await removeTestRoot();
  const baseline = await cpuMsOf(async (signal) => {
    while (!signal.aborted) await sleep(100);
  });
  for (let i = 0; i < containers; i++) {
    const c = new TestContainer(`m${i}`, 'both');
    c.create();
    for (let j = 0; j < perContainer; j++) {
      const w = spawnWorkload('sleep', ['600']);
      workloads.push(w);
      c.moveIn(w.pid);
    }
  }
  const report = (what: string, ms: number, ticks: number, extra: Record<string, unknown> = {}) => {
    const perTickMs = (ms - baseline) / ticks;
    console.log(JSON.stringify({ what, ticks, cpuMsTotal: +ms.toFixed(1), baselineMs: +baseline.toFixed(1), cpuMsPerTick: +perTickMs.toFixed(3), cpuSecondsPerMinuteAt10s: +((perTickMs * 6) / 1000).toFixed(4), ...extra }));
  };

  const dload = new DloadTracer();
  let dTicks = 0;
  let tasks = 0;
  dload.onSample = (samples) => {
    dTicks++;
    tasks = samples.reduce((n, s) => n + s.scan.counts.nr_tasks, 0);
  };
  const dSettings = dloadSettingsSchema.parse({ intervalSeconds: 0.1, containers: { plainRoots: [TEST_ROOT], scanRoots: [], v1Controllers: [...V1_CONTROLLERS] } });
  const dMs = await cpuMsOf((signal) => dload.start(testContext('dload', dSettings, signal)));
  report('dload tick', dMs, dTicks, { containers, tasks });

  const dloadHost = new DloadTracer();
  let hTicks = 0;
  let hostContainers = 0;
  dloadHost.onSample = (samples) => {
    hTicks++;
    hostContainers = samples.length;
  };
  const hSettings = dloadSettingsSchema.parse({ intervalSeconds: 0.1 });
  const hMs = await cpuMsOf((signal) => dloadHost.start(testContext('dload', hSettings, signal)));
  report('dload tick, default containers config (scanRoots ["/"])', hMs, hTicks, { containersFound: hostContainers });

  const mem = new MemburstTracer();
  let mTicks = 0;
  mem.onSample = () => void mTicks++;
  const mSettings = memburstSettingsSchema.parse({ intervalSeconds: 0.1 });
  const processes = (await import('node:fs')).readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  const mMs = await cpuMsOf((signal) => mem.start(testContext('memburst', mSettings, signal)));
  report('memburst tick', mMs, mTicks, { processes });
} finally {
  for (const w of workloads) await w.kill();
  const failures = await removeTestRoot();
  if (failures.length > 0) console.error('left behind:', failures);
}
