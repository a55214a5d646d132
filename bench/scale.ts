// Cost as work grows (issue 16.4): waitrate's counter reader and the container resolver
// with 1, 100 and 1000 live cgroups (created, each entered once so it holds a waitrate slot,
// and removed by the bench). The agent does this work every interval (5 s): resolver
// refresh + counters read + the per-container sample. Target: under 5 ms of CPU per
// interval at 1000 cgroups on this machine. The per-CPU part (each slot's value is one copy
// per possible CPU, decoded in JS) is measured separately and the figure projected to 64
// and 256 CPUs: projected = measured + cgroups × (CPUs − this machine's) × ns per value.
//   node dist/bench/scale.js   (env BENCH_RUNS=5)
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { IntervalSampler, WaitrateCounters } from '../src/actors/tracers/waitrate/core.js';
import { createContainerResolver } from '../src/containers/create.js';
import { addCgValue, waitrateCgLayout, zeroCounters } from '../src/native/bpf/waitrate.js';
import { BpfObject } from '../src/native/index.js';
import { nativeAddon } from '../src/native/native-binding.js';
import { createTestCgroup, evacuateAndRemoveCgroup, removeTestCgroup, TEST_CGROUP_PARENT } from '../test/support/host.js';
import { installSignalCleanup, onCleanup } from './lib/cleanup.js';
import { isEntry } from './lib/entry.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, median, type Figure } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const VISITOR = new URL('../test/fixtures/waitrate/churn.js', import.meta.url).pathname;
export const SCALE_COUNTS = [1, 100, 1000] as const;
const TARGET_MS = 5;

export interface ScaleRow {
  cgroups: number;
  /** CPU ms of one counters read (all slots, summed over CPUs). */
  readMs: number[];
  /** CPU ms of one whole interval: resolver refresh + read + sample. */
  intervalMs: number[];
  /** Its parts: the resolver's refresh, and the sample (per container: cpu.stat reads). */
  refreshMs: number[];
  sampleMs: number[];
  slots: number;
}

/** CPU time (ms) of fn, from process.cpuUsage (this process: the reader runs on its thread). */
function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

/** ns to add one per-CPU value of struct waitrate_cg to a sum (the per-CPU part of a read). */
export function decodeNsPerValue(): number {
  const buf = Buffer.alloc(waitrateCgLayout.size);
  const sum = zeroCounters();
  const n = 200_000;
  // CPU time, not wall time: on a loaded shared machine the wall clock counts others' turns.
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) addCgValue(sum, buf);
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / n;
}

export async function runScale(o: { runs: number; progress?: Progress }): Promise<{ rows: ScaleRow[]; cpus: number; decodeNs: number }> {
  const counters = await WaitrateCounters.open((name, options) => BpfObject.openBuilt(name, options));
  const dropCounters = onCleanup('waitrate counters', () => counters.close());
  const rows: ScaleRow[] = [];
  try {
    for (const n of SCALE_COUNTS) {
      const parent = createTestCgroup(`wr-scale-${n}`);
      const dropParent = onCleanup(`cgroups wr-scale-${n}`, async () => {
        for (const e of readdirSync(parent.v2Path, { withFileTypes: true })) if (e.isDirectory()) await evacuateAndRemoveCgroup(join(parent.v2Path, e.name), dirname(dirname(parent.v2Path)));
        await removeTestCgroup(parent);
      });
      try {
        o.progress?.step(`${n} cgroups: creating and entering each once (a waitrate slot each)`);
        const r = spawnSync(process.execPath, [VISITOR, parent.v2Path, String(n), 'keep'], { encoding: 'utf8', timeout: 120_000 });
        if (r.status !== 0) throw new Error(`cgroup visitor failed: ${r.stderr}`);
        const resolver = createContainerResolver({ plainRoots: [`/${TEST_CGROUP_PARENT}/wr-scale-${n}`], scanRoots: [] });
        const sampler = new IntervalSampler(resolver);
        sampler.sample(counters.read());
        const row: ScaleRow = { cgroups: n, readMs: [], intervalMs: [], refreshMs: [], sampleMs: [], slots: counters.read().size };
        for (let i = 0; i < o.runs * 4; i++) {
          let reading = counters.read();
          const refresh = cpuMs(() => resolver.refresh());
          const read = cpuMs(() => (reading = counters.read()));
          const sample = cpuMs(() => sampler.sample(reading));
          row.readMs.push(read);
          row.refreshMs.push(refresh);
          row.sampleMs.push(sample);
          row.intervalMs.push(refresh + read + sample);
        }
        rows.push(row);
      } finally {
        await dropParent();
      }
    }
  } finally {
    await dropCounters();
  }
  return { rows, cpus: nativeAddon().possibleCpus(), decodeNs: decodeNsPerValue() };
}

/** The interval's CPU at `cpus` CPUs: measured + cgroups × extra CPUs × decode ns per value. */
export function projectMs(measuredMs: number, cgroups: number, measuredCpus: number, cpus: number, decodeNs: number): number {
  return measuredMs + (cgroups * (cpus - measuredCpus) * decodeNs) / 1e6;
}

export const scaleBenchmark: Benchmark = {
  name: 'scale',
  title: 'cost as work grows: waitrate reader + container resolver with 1, 100, 1000 live cgroups',
  async run(options) {
    const { rows, cpus, decodeNs } = await runScale({ runs: options.runs, progress: options.progress });
    const figures: Figure[] = [];
    for (const r of rows) {
      figures.push(figure(`counters read, ${r.cgroups} cgroups`, 'ms CPU', r.readMs));
      figures.push(figure(`resolver refresh, ${r.cgroups} cgroups`, 'ms CPU', r.refreshMs));
      figures.push(figure(`sample (per container cpu.stat reads), ${r.cgroups} cgroups`, 'ms CPU', r.sampleMs));
      figures.push(figure(`interval (refresh + read + sample), ${r.cgroups} cgroups`, 'ms CPU', r.intervalMs, r.cgroups === 1000 ? { target: { on: 'value', op: '<=', value: TARGET_MS } } : {}));
    }
    const big = rows.find((r) => r.cgroups === 1000);
    if (big !== undefined) {
      for (const target of [64, 256]) {
        figures.push(figure(`interval at 1000 cgroups, projected to ${target} CPUs`, 'ms CPU', big.intervalMs.map((ms) => projectMs(ms, 1000, cpus, target, decodeNs))));
      }
    }
    return {
      figures,
      notes: [
        `${cpus} possible CPUs here; one per-CPU value decodes in ${fmt(decodeNs, 0)} ns; the projection adds cgroups × (CPUs − ${cpus}) values at that cost (the kernel copy of the larger per-CPU values is not in it: it grows too, by ~${waitrateCgLayout.size} bytes per CPU per slot).`,
        'Each cgroup is entered once by a helper process (so it holds a waitrate slot, as a live container does) and removed after its round; the resolver sees them as containers (plainRoots). CPU time is this process\'s (process.cpuUsage) around each call; several reads per round, medians.',
        `slots in the reading per round: ${rows.map((r) => `${r.cgroups} → ${r.slots}`).join(', ')} (the root cgroup and other live cgroups on the machine are in it too).`,
      ],
    };
  },
};

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const { rows, cpus, decodeNs } = await runScale({ runs, progress: stderrProgress('scale:') });
  console.log(`| live cgroups | counters read | resolver refresh | sample | interval (sum), ms CPU (medians) | projected to 64 CPUs | projected to 256 CPUs |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const m = median(r.intervalMs);
    console.log(`| ${r.cgroups} | ${fmt(median(r.readMs), 2)} | ${fmt(median(r.refreshMs), 2)} | ${fmt(median(r.sampleMs), 2)} | ${fmt(m, 2)} | ${fmt(projectMs(m, r.cgroups, cpus, 64, decodeNs), 2)} | ${fmt(projectMs(m, r.cgroups, cpus, 256, decodeNs), 2)} |`);
  }
  console.log(`\n${cpus} possible CPUs here; decode ${fmt(decodeNs, 0)} ns per per-CPU value`);
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
