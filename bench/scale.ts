// Cost as work grows (issue 16.4): waitrate's counter reader and the container resolver
// with 1, 100 and 1000 live cgroups (created, each entered once so it holds a waitrate slot,
// and removed by the bench). The agent does this work every interval (5 s): resolver
// refresh + counters read + the per-container sample. Target: under 5 ms of CPU per
// interval at 1000 cgroups on this machine. Each round also times the pre-16.4 paths (full
// rescan, per-slot read, two cgroup-file reads per container) so before/after come from the
// same run, plus the refresh after a change and the sample when every container is busy.
// The per-CPU part (each slot's value is one copy per possible CPU, decoded in JS) is
// measured separately and the figure projected to 64 and 256 CPUs:
// projected = measured + cgroups × (CPUs − this machine's) × ns per value.
//   node dist/bench/scale.js   (env BENCH_RUNS=5)
import { existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { IntervalSampler, WaitrateCounters } from '../src/actors/tracers/waitrate/core.js';
import { createContainerResolver } from '../src/containers/create.js';
import { addCgValue, readCgroupCounters, waitrateCgLayout, zeroCounters } from '../src/native/bpf/waitrate.js';
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
  /** CPU ms of one counters read (all slots, summed over CPUs): the dense batch read (auto). */
  readMs: number[];
  /** The same read slot by slot (one lookup syscall per slot: the reader before 16.4). */
  readPerSlotMs: number[];
  /** resolver.refreshIfChanged() with nothing changed (the steady state). */
  refreshMs: number[];
  /** resolver.refreshIfChanged() after one cgroup was made and one removed (events delivered). */
  refreshChangedMs: number[];
  /** resolver.refresh(): a rescan from scratch (every interval before 16.4; now the safety net's cost). */
  rescanMs: number[];
  /** sampler.sample() with these (idle) containers: no cpu.stat read for an idle one. */
  sampleMs: number[];
  /** sample() where every container is read once (a fresh sampler: all busy, one cpu.stat each). */
  sampleAllReadMs: number[];
  /** The reads of the sampler before 16.4: throttling() and cpuUsage() per container, every interval. */
  sampleBeforeMs: number[];
  /** Steady interval: refresh (unchanged) + read + sample. */
  intervalMs: number[];
  /** The interval before 16.4: rescan + per-slot read + two reads per container. */
  intervalBeforeMs: number[];
  slots: number;
  /** cpu.stat reads the sampler skipped in its last sample. */
  skipped: number;
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
  const buf = Buffer.alloc(waitrateCgLayout.size * 2);
  const sum = zeroCounters();
  const n = 200_000;
  // CPU time, not wall time: on a loaded shared machine the wall clock counts others' turns.
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) addCgValue(sum, buf, (i & 1) * waitrateCgLayout.size);
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / n;
}

/**
 * ns per per-CPU value to find a slot unchanged (a byte compare of its row against the last
 * read's): what an idle slot costs per CPU now that unchanged slots are not decoded.
 */
export function compareNsPerValue(): number {
  const cpus = 256;
  const a = Buffer.alloc(waitrateCgLayout.size * cpus, 1);
  const b = Buffer.alloc(waitrateCgLayout.size * cpus, 1);
  const n = 20_000;
  let equal = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) if (a.compare(b, 0, a.length, 0, a.length) === 0) equal++;
  const d = process.cpuUsage(t0);
  if (equal !== n) throw new Error('compare');
  return ((d.user + d.system) * 1000) / (n * cpus);
}

export async function runScale(o: { runs: number; progress?: Progress }): Promise<{ rows: ScaleRow[]; cpus: number; decodeNs: number; compareNs: number }> {
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
        const r = spawnSync(process.execPath, [VISITOR, parent.v2Path, String(n), 'keep'], { encoding: 'utf8', timeout: 300_000 });
        if (r.status !== 0) throw new Error(`cgroup visitor failed: ${r.stderr}`);
        const resolver = createContainerResolver({ plainRoots: [`/${TEST_CGROUP_PARENT}/wr-scale-${n}`], scanRoots: [] });
        try {
          resolver.refreshIfChanged(); // starts watching
          const sampler = new IntervalSampler(resolver);
          sampler.sample(counters.read());
          const row: ScaleRow = {
            cgroups: n,
            readMs: [], readPerSlotMs: [], refreshMs: [], refreshChangedMs: [], rescanMs: [], sampleMs: [], sampleAllReadMs: [], sampleBeforeMs: [], intervalMs: [], intervalBeforeMs: [],
            slots: counters.read().size,
            skipped: 0,
          };
          const extra = join(parent.v2Path, 'scale-extra');
          for (let i = 0; i < o.runs * 4; i++) {
            // Changed: one cgroup made and (the round before) one removed; let inotify deliver.
            if (i % 2 === 0) mkdirSync(extra);
            else rmdirSync(extra);
            await sleep(20);
            row.refreshChangedMs.push(cpuMs(() => resolver.refreshIfChanged()));
            await sleep(5);
            const refresh = cpuMs(() => resolver.refreshIfChanged());
            let reading = counters.read();
            const read = cpuMs(() => (reading = counters.read()));
            const readPerSlot = cpuMs(() => readCgroupCounters(counters.object, { slotRead: 'per-slot' }));
            const sample = cpuMs(() => sampler.sample(reading));
            row.skipped = sampler.skippedReads;
            const sampleAllRead = cpuMs(() => new IntervalSampler(resolver).sample(reading));
            const sampleBefore = cpuMs(() => {
              for (const c of resolver.list()) {
                resolver.throttling(c);
                resolver.cpuUsage(c, { source: 'v2' });
              }
            });
            const rescan = cpuMs(() => resolver.refresh());
            row.readMs.push(read);
            row.readPerSlotMs.push(readPerSlot);
            row.refreshMs.push(refresh);
            row.rescanMs.push(rescan);
            row.sampleMs.push(sample);
            row.sampleAllReadMs.push(sampleAllRead);
            row.sampleBeforeMs.push(sampleBefore);
            row.intervalMs.push(refresh + read + sample);
            row.intervalBeforeMs.push(rescan + readPerSlot + sampleBefore);
          }
          if (existsSync(extra)) rmdirSync(extra);
          rows.push(row);
        } finally {
          resolver.close();
        }
      } finally {
        await dropParent();
      }
    }
  } finally {
    await dropCounters();
  }
  return { rows, cpus: nativeAddon().possibleCpus(), decodeNs: decodeNsPerValue(), compareNs: compareNsPerValue() };
}

/** The interval's CPU at `cpus` CPUs: measured + cgroups × extra CPUs × ns per value (decode or compare). */
export function projectMs(measuredMs: number, cgroups: number, measuredCpus: number, cpus: number, decodeNs: number): number {
  return measuredMs + (cgroups * (cpus - measuredCpus) * decodeNs) / 1e6;
}

export const scaleBenchmark: Benchmark = {
  name: 'scale',
  title: 'cost as work grows: waitrate reader + container resolver with 1, 100, 1000 live cgroups',
  async run(options) {
    const { rows, cpus, decodeNs, compareNs } = await runScale({ runs: options.runs, progress: options.progress });
    const figures: Figure[] = [];
    for (const r of rows) {
      figures.push(figure(`counters read (batch), ${r.cgroups} cgroups`, 'ms CPU', r.readMs));
      figures.push(figure(`counters read (per slot, before), ${r.cgroups} cgroups`, 'ms CPU', r.readPerSlotMs));
      figures.push(figure(`resolver refreshIfChanged (no change), ${r.cgroups} cgroups`, 'ms CPU', r.refreshMs));
      figures.push(figure(`resolver refreshIfChanged (one mkdir or rmdir), ${r.cgroups} cgroups`, 'ms CPU', r.refreshChangedMs));
      figures.push(figure(`resolver rescan (before; now the safety net), ${r.cgroups} cgroups`, 'ms CPU', r.rescanMs));
      figures.push(figure(`sample (idle containers: no read), ${r.cgroups} cgroups`, 'ms CPU', r.sampleMs));
      figures.push(figure(`sample (every container read once), ${r.cgroups} cgroups`, 'ms CPU', r.sampleAllReadMs));
      figures.push(figure(`sample reads before (two per container), ${r.cgroups} cgroups`, 'ms CPU', r.sampleBeforeMs));
      figures.push(figure(`interval (refresh + read + sample), ${r.cgroups} cgroups`, 'ms CPU', r.intervalMs, r.cgroups === 1000 ? { target: { on: 'value', op: '<=', value: TARGET_MS } } : {}));
      figures.push(figure(`interval before 16.4 (rescan + per-slot read + two reads per container), ${r.cgroups} cgroups`, 'ms CPU', r.intervalBeforeMs));
    }
    const big = rows.find((r) => r.cgroups === 1000);
    if (big !== undefined) {
      for (const target of [64, 256]) {
        figures.push(figure(`interval at 1000 idle cgroups, projected to ${target} CPUs`, 'ms CPU', big.intervalMs.map((ms) => projectMs(ms, 1000, cpus, target, compareNs))));
        figures.push(figure(`interval at 1000 cgroups, every slot changed, projected to ${target} CPUs`, 'ms CPU', big.intervalMs.map((ms) => projectMs(ms, 1000, cpus, target, decodeNs))));
      }
    }
    return {
      figures,
      notes: [
        `${cpus} possible CPUs here; one per-CPU value decodes in ${fmt(decodeNs, 0)} ns, an unchanged one is passed over in ${fmt(compareNs, 1)} ns (byte compare with the last read); the projections add cgroups × (CPUs − ${cpus}) values at one cost or the other (the kernel copy of the larger per-CPU values is not in it: it grows too, by ~${waitrateCgLayout.size} bytes per CPU per slot).`,
        'Each cgroup is entered once by a helper process (so it holds a waitrate slot, as a live container does) and removed after its round; the resolver sees them as containers (plainRoots). They are idle afterwards, so the steady interval reads no cpu.stat; "every container read once" is the cost when all are busy. CPU time is this process\'s (process.cpuUsage) around each call; several reads per round, medians.',
        `slots in the reading per round: ${rows.map((r) => `${r.cgroups} → ${r.slots}`).join(', ')} (the root cgroup and other live cgroups on the machine are in it too).`,
      ],
    };
  },
};

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const { rows, cpus, decodeNs, compareNs } = await runScale({ runs, progress: stderrProgress('scale:') });
  const m = (xs: number[]): string => fmt(median(xs), 2);
  console.log('CPU ms per call, medians; "before" = the pre-16.4 code paths measured in the same run');
  console.log('| live cgroups | counters read: batch / per slot (before) | refreshIfChanged: no change / one mkdir or rmdir | rescan (before; safety net) | sample: idle (no read) / all read once / reads before | interval | interval before | interval projected to 64 / 256 CPUs: idle slots; every slot changed |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const iv = median(r.intervalMs);
    console.log(
      `| ${r.cgroups} | ${m(r.readMs)} / ${m(r.readPerSlotMs)} | ${m(r.refreshMs)} / ${m(r.refreshChangedMs)} | ${m(r.rescanMs)} | ${m(r.sampleMs)} / ${m(r.sampleAllReadMs)} / ${m(r.sampleBeforeMs)} | ${fmt(iv, 2)} | ${m(r.intervalBeforeMs)} | ${fmt(projectMs(iv, r.cgroups, cpus, 64, compareNs), 2)} / ${fmt(projectMs(iv, r.cgroups, cpus, 256, compareNs), 2)}; ${fmt(projectMs(iv, r.cgroups, cpus, 64, decodeNs), 2)} / ${fmt(projectMs(iv, r.cgroups, cpus, 256, decodeNs), 2)} |`,
    );
  }
  console.log(`\n${cpus} possible CPUs here; decode ${fmt(decodeNs, 0)} ns per per-CPU value, ${fmt(compareNs, 1)} ns to pass over an unchanged one; slots per round ${rows.map((r) => `${r.cgroups} → ${r.slots}`).join(', ')}; cpu.stat reads skipped in the last sample ${rows.map((r) => `${r.cgroups} → ${r.skipped}`).join(', ')}`);
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
