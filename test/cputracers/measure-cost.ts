// Measures what the cputracers cost (not a test; run as root):
//   node dist-cputracers/test/cputracers/measure-cost.js [containers=50] [seconds=10]
// - cpusys: CPU per /proc/stat sample (read + parse + detector), sampling every 50 ms;
// - cpuidle: CPU per tick with N plain test containers (v2 + v1 cpu + cpuacct), every 200 ms;
// - the stored size of a default event (10 s host profile at 99 Hz): flamedata and folded JSON.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeCapturePool } from '../../src/capture/index.js';
import { cpuSysSettingsSchema, type CpuSysSettings } from '../../src/actors/tracers/cpusys/config.js';
import { CpuSysTracer } from '../../src/actors/tracers/cpusys/index.js';
import { profileForEvent } from '../../src/actors/tracers/shared/profile.js';
import { cpuIdleSettingsSchema, type CpuIdleSettings } from '../../src/actors/tracers/cpuidle/config.js';
import { CpuIdleTracer } from '../../src/actors/tracers/cpuidle/index.js';
import { createTestCgroup, TEST_CGROUP_PARENT, removeTestCgroup, type TestCgroup } from '../support/host.js';
import { testContext } from '../support/tracer-context.js';

const containers = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 10);

async function cpuOf(run: (signal: AbortSignal) => Promise<void>, ms: number): Promise<number> {
  const abort = new AbortController();
  const before = process.cpuUsage();
  const done = run(abort.signal);
  await new Promise((r) => setTimeout(r, ms));
  abort.abort();
  await done;
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

const made: TestCgroup[] = [];
try {
  // cpusys
  const sysTracer = new CpuSysTracer();
  let sysSamples = 0;
  sysTracer.onObservation = () => sysSamples++;
  const sysSettings = cpuSysSettingsSchema.parse({ intervalSeconds: 0.05, sysThreshold: 100 });
  const sysMs = await cpuOf((signal) => sysTracer.start(testContext<CpuSysSettings>('cpusys', sysSettings, signal)), seconds * 1000);
  console.log(JSON.stringify({ what: 'cpusys sample', samples: sysSamples, cpuMsTotal: +sysMs.toFixed(1), cpuUsPerSample: Math.round((sysMs * 1000) / sysSamples) }));

  // cpuidle
  for (let i = 0; i < containers; i++) made.push(createTestCgroup(`cputracers-m${i}`, { v1: ['cpu', 'cpuacct'] }));
  for (const cg of made) writeFileSync(join(cg.v1Paths.cpu!, 'cpu.cfs_quota_us'), '50000');
  const idleTracer = new CpuIdleTracer();
  let ticks = 0;
  let seen = 0;
  idleTracer.onTick = (t) => {
    ticks++;
    seen = t.measurements.length;
  };
  const idleSettings = cpuIdleSettingsSchema.parse({
    intervalSeconds: 0.2,
    containers: { plainRoots: [`/${TEST_CGROUP_PARENT}`], scanRoots: [], v1Controllers: ['cpu', 'cpuacct'], filter: { included: [{ field: 'id', pattern: '^cputracers-m' }] } },
  });
  const idleMs = await cpuOf((signal) => idleTracer.start(testContext<CpuIdleSettings>('cpuidle', idleSettings, signal)), seconds * 1000);
  console.log(JSON.stringify({ what: 'cpuidle tick', containers: seen, ticks, cpuMsTotal: +idleMs.toFixed(1), cpuMsPerTick: +(idleMs / ticks).toFixed(2) }));

  // default event size
  const cpuBefore = process.cpuUsage();
  const p = await profileForEvent({ durationMs: 10_000, frequency: 99, scope: { kind: 'host' } });
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    JSON.stringify({
      what: 'default host event (10 s, 99 Hz)',
      samples: p.profile?.samples,
      flamedataNodes: p.flamedata.length,
      flamedataJsonBytes: JSON.stringify(p.flamedata).length,
      foldedBytes: p.folded.length,
      wholeEventJsonBytes: JSON.stringify(p).length,
      agentCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    }),
  );
} finally {
  for (const cg of made) await removeTestCgroup(cg);
  await closeCapturePool();
}
