// bench/zod-worker-cost: what zod costs a worker thread in RSS, the figure behind "catalog
// tracers' workers never load zod" (docs/runtime.md, "Settings and zod").
//   node dist/bench/zod-worker-cost.js [rounds=5] [workers=9]
// Each case runs in a fresh Node process that starts `workers` worker threads, each importing:
//   none     nothing (the baseline: a worker thread itself),
//   zod      the zod package only,
//   schemas  every catalog tracer's config.js (zod plus the settings schemas built from it),
//   parse    the same, then each settings schema parses `{}` once (what an actor validating
//            its own settings does).
// The process's VmRSS is read once every worker has imported and settled. Rounds interleave
// the cases; the table shows medians and the per-worker difference to `none`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { builtinTracers } from '../src/actors/tracers/catalog.js';

type Case = 'none' | 'zod' | 'schemas' | 'parse';
const cases: readonly Case[] = ['none', 'zod', 'schemas', 'parse'];

function configModules(): string[] {
  return Object.values(builtinTracers).map((entry) => pathToFileURL(entry.modulePath.replace(/index\.js$/, 'config.js')).href);
}

/** Child mode: start the workers, print VmRSS in kB. */
async function child(kind: Case, workers: number): Promise<void> {
  const imports = kind === 'none' ? [] : kind === 'zod' ? ['zod'] : configModules();
  // `parse`: every exported *SettingsSchema of the imported modules parses {} once.
  const use = kind === 'parse' ? `for (const m of mods) for (const [k, v] of Object.entries(m)) if (k.endsWith('SettingsSchema')) v.parse({});` : '';
  const code = `Promise.all(${JSON.stringify(imports)}.map((m) => import(m))).then((mods) => { ${use} require('node:worker_threads').parentPort.postMessage('ok'); });`;
  const started = Array.from({ length: workers }, () => new Worker(code, { eval: true }));
  await Promise.all(started.map((w) => new Promise((resolve) => w.once('message', resolve))));
  await new Promise((r) => setTimeout(r, 500));
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  process.stdout.write(`${rss}\n`);
  await Promise.all(started.map((w) => w.terminate()));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 5);
  const workers = Number(process.argv[3] ?? 9);
  const self = fileURLToPath(import.meta.url);
  const samples = new Map<Case, number[]>(cases.map((c) => [c, []]));
  const load = loadavg()[0]!;
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const kb = Number(execFileSync(process.execPath, [self, '--child', c, String(workers)], { encoding: 'utf8' }).trim());
      samples.get(c)!.push(kb / 1024);
    }
  }
  const base = median(samples.get('none')!);
  console.log(`zod in worker threads: ${workers} workers, ${rounds} interleaved rounds, load ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`);
  console.log('case      RSS median MB  (min–max)        per worker vs none');
  for (const c of cases) {
    const v = samples.get(c)!;
    const m = median(v);
    console.log(`${c.padEnd(9)} ${m.toFixed(1).padStart(8)}       (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})     ${c === 'none' ? '—' : `+${((m - base) / workers).toFixed(1)} MB`}`);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] as Case, Number(process.argv[4]));
else main();
