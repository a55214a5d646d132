// Detection latency per tracer: anomaly start → event durable in LMDB, with the real agent
// (only the tracer under test enabled, thresholds and intervals lowered through its config),
// a real workload making the anomaly, and the event read back through the HTTP API
// (GET /api/v1/events?tracer=…). Latency = the event's uploaded_time (set by the storage
// actor when it stored it) − the anomaly's start; reported next to the configured interval
// and capture length, since latency ≈ detection (a few intervals) + capture + storage.
//   node dist/bench/detection.js [--runs 3] [--only cpusys,dload,memburst,iotracing,hungtask]
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtinTracers } from '../src/actors/tracers/catalog.js';
import { badOption } from './errors.js';
import { startAgent, type RunningAgent } from './lib/agent.js';
import { isEntry } from './lib/entry.js';
import { installSignalCleanup } from './lib/cleanup.js';
import { stderrProgress, type Progress } from './lib/progress.js';
import { figure, fmt, type Figure } from './lib/stats.js';
import type { Benchmark, ExtraTable } from './lib/types.js';
import { cpusysScenario, dloadScenario, hungtaskScenario, iotracingScenario, memburstScenario, type Scenario } from './detection/scenarios.js';

interface EventDoc {
  tracer_id: string;
  tracer_name: string;
  tracer_time: string;
  uploaded_time: string;
  tracer_data?: unknown;
}

export const DETECTION_TRACERS = ['cpusys', 'dload', 'memburst', 'iotracing', 'hungtask'] as const;

export interface DetectionOptions {
  runs: number;
  quick: boolean;
  only?: readonly string[];
  /** Longest wait for one event (ms). */
  eventTimeoutMs?: number;
  progress?: Progress;
}

export interface DetectionRuns {
  tracer: string;
  describe: string;
  intervalSeconds: number;
  captureSeconds: number;
  /** anomaly start → uploaded_time (durable), ms */
  latencyMs: number[];
  /** anomaly start → tracer_time (the event's own time: see the notes), ms */
  savedMs: number[];
  /** Runs whose anomaly produced no event within the timeout (the other runs still count). */
  missed: number;
  skipped?: string;
}

function scenarios(quick: boolean): Scenario[] {
  return [cpusysScenario(), dloadScenario(), memburstScenario(), iotracingScenario(quick), hungtaskScenario()];
}

async function events(agent: RunningAgent, tracer: string): Promise<EventDoc[]> {
  return (await agent.get<{ data: EventDoc[] }>(`/api/v1/events?tracer=${encodeURIComponent(tracer)}&limit=100`)).data;
}

async function runScenario(s: Scenario, o: DetectionOptions): Promise<DetectionRuns> {
  const out: DetectionRuns = { tracer: s.tracer, describe: s.describe, intervalSeconds: s.intervalSeconds, captureSeconds: s.captureSeconds, latencyMs: [], savedMs: [], missed: 0 };
  const why = s.unavailable();
  if (why !== undefined) return { ...out, skipped: why };
  let agent: RunningAgent | undefined;
  try {
    await s.setup(o.runs);
    out.describe = s.describe; // setup may calibrate the thresholds it describes
    const others = Object.fromEntries(Object.keys(builtinTracers).filter((n) => n !== s.tracer).map((n) => [n, { enabled: false }]));
    agent = await startAgent({ config: { tracers: { ...others, [s.tracer]: s.entry() } } });
    await sleep(1500); // the tracer's first samples (baselines) and BPF attach
    for (let run = 1; run <= o.runs; run++) {
      o.progress?.step(`${s.tracer}: run ${run}/${o.runs}`);
      const seen = new Set((await events(agent, s.tracer)).map((e) => e.tracer_id));
      const anomaly = await s.start(run);
      try {
        const timeoutMs = o.eventTimeoutMs ?? 30_000;
        const deadline = Date.now() + timeoutMs;
        let found: EventDoc | undefined;
        while (found === undefined && Date.now() <= deadline) {
          await sleep(100);
          found = (await events(agent, s.tracer)).find((e) => !seen.has(e.tracer_id) && (anomaly.matches?.(e) ?? true));
        }
        if (found === undefined) {
          // One missed anomaly is a result (counted and shown), not the end of the scenario.
          out.missed++;
          o.progress?.step(`${s.tracer}: run ${run}: BENCH_NO_EVENT: no event within ${timeoutMs} ms`);
        } else {
          out.latencyMs.push(Date.parse(found.uploaded_time) - anomaly.t0);
          out.savedMs.push(Date.parse(found.tracer_time) - anomaly.t0);
        }
      } finally {
        await anomaly.end();
      }
      await sleep(s.quietMs);
    }
    return out;
  } finally {
    await agent?.stop();
    await s.teardown();
  }
}

export async function runDetection(o: DetectionOptions): Promise<DetectionRuns[]> {
  const results: DetectionRuns[] = [];
  for (const s of scenarios(o.quick)) {
    if (o.only !== undefined && !o.only.includes(s.tracer)) continue;
    try {
      results.push(await runScenario(s, o));
    } catch (err) {
      const e = err as Error & { code?: string };
      o.progress?.step(`${s.tracer}: FAILED ${e.code ?? ''} ${e.message.split('\n')[0]}`);
      results.push({ tracer: s.tracer, describe: s.describe, intervalSeconds: s.intervalSeconds, captureSeconds: s.captureSeconds, latencyMs: [], savedMs: [], missed: 0, skipped: `failed: ${e.code ?? ''} ${e.message.split('\n')[0]}` });
    }
  }
  return results;
}

export function detectionReport(results: DetectionRuns[]): { figures: Figure[]; table: ExtraTable } {
  const figures: Figure[] = [];
  const rows: string[][] = [];
  for (const r of results) {
    if (r.skipped !== undefined || r.latencyMs.length === 0) {
      rows.push([r.tracer, r.describe, fmt(r.intervalSeconds, 1), fmt(r.captureSeconds, 1), r.skipped ?? `no event in ${r.missed} run(s)`, '', '']);
      continue;
    }
    const missed = r.missed > 0 ? `; ${r.missed} of ${r.missed + r.latencyMs.length} anomalies gave no event within the timeout` : '';
    const f = figure(`detection latency ${r.tracer} (anomaly → durable in LMDB)`, 'ms', r.latencyMs, { note: `interval ${r.intervalSeconds} s, capture ${r.captureSeconds} s${missed}` });
    figures.push(f);
    const saved = figure('', 'ms', r.savedMs);
    rows.push([r.tracer, r.describe, fmt(r.intervalSeconds, 1), fmt(r.captureSeconds, 1), `${fmt(f.summary.median / 1000, 2)} s (${fmt(f.summary.min / 1000, 2)} – ${fmt(f.summary.max / 1000, 2)})${r.missed > 0 ? `; ${r.missed} missed` : ''}`, `${fmt(saved.summary.median / 1000, 2)} s`, fmt((f.summary.median - saved.summary.median), 0)]);
  }
  return {
    figures,
    table: {
      title: 'Detection latency per tracer (median, min – max over runs)',
      header: ['tracer', 'anomaly', 'interval s', 'capture s', 'anomaly → durable', 'anomaly → event time', 'event time → durable ms'],
      rows,
    },
  };
}

export const detectionBenchmark: Benchmark = {
  name: 'detection',
  title: 'Detection latency per tracer: anomaly start → event durable in LMDB',
  async run(options) {
    const runs = options.quick ? 1 : options.runs;
    const results = await runDetection({ runs, quick: options.quick, progress: options.progress });
    const { figures, table } = detectionReport(results);
    return {
      figures,
      tables: [table],
      notes: [
        `${runs} anomalies per tracer, one agent per tracer (only that tracer enabled; cooldown 1 s; thresholds and intervals lowered through the config file). "event time" is the event's tracer_time: cpusys takes it when it decides (before its capture), dload, memburst and iotracing when they save (after their capture), hungtask is the kernel's report time; "durable" is its uploaded_time, set by the storage actor when it stored it.`,
        'Expected: cpusys ≈ 1–2 intervals + capture; dload ≈ the ticks its 1-minute D-load EMA needs to pass the threshold; memburst ≈ the time to touch 1 GiB + 1 interval; iotracing ≈ 2 intervals (two over threshold in a row) + capture; hungtask ≈ 1–2 × hung_task_timeout_secs after the task blocked.',
      ],
    };
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, only: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  const runs = Number(values.runs);
  if (!(runs >= 1)) throw badOption('--runs', 'expected an integer >= 1');
  const only = values.only?.split(',').map((x) => x.trim()).filter(Boolean);
  for (const name of only ?? []) if (!(DETECTION_TRACERS as readonly string[]).includes(name)) throw badOption('--only', `unknown tracer "${name}" (known: ${DETECTION_TRACERS.join(', ')})`);
  const results = await runDetection({ runs, quick: values.quick === true, ...(only ? { only } : {}), progress: stderrProgress('detection:') });
  const { table } = detectionReport(results);
  console.log(`| ${table.header.join(' | ')} |\n|${table.header.map(() => '---|').join('')}`);
  for (const row of table.rows) console.log(`| ${row.join(' | ')} |`);
}

if (isEntry(import.meta.url)) {
  installSignalCleanup();
  await main();
}
