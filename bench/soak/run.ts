// The soak: `node dist/bench/soak/run.js --minutes N [--seed S]` (as root). Runs the real
// agent (every tracer, lowered thresholds, some in process isolation, the example tracer
// as a 1 s canary) against the loopback fake Elasticsearch while real workloads make the
// tracers fire, injects a random crash into a random tracer every few seconds, makes the
// fake ES flap (down / 503 / slow / healthy), kill -9s the whole agent once and restarts it
// on the same storage. Then it drains, stops the agent and checks: every acknowledged
// event reached ES exactly once, the canary's largest gap, RSS growth, leaked descriptors
// and BPF objects, every injected fault classified, no crash that was not injected, and
// every tracer a workload drives stored at least one event. After the fd baseline a
// connection flood (conn-flood.ts) checks the API and the tracers under 3000 silent sockets.
// Progress on stderr every ~10 s, the table on stdout, exit 1 on any violation (2 on bad
// usage). The host is restored (workloads killed by PID, loop devices, sysctls, cgroups) even on failure.
import { connectionFlood, describeFlood, floodOk } from './conn-flood.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeElasticsearch } from '../../test/support/fake-es.js';
import { AgentProcess, type TracerView } from './agent.js';
import { CANARY, CANARY_PERIOD_MS, writeSoakConfig } from './config.js';
import { DiskFullPhase, type DiskFullResult } from './disk-full.js';
import { SoakError } from './errors.js';
import { EsFlapper } from './es-flapper.js';
import { FaultInjector, type FaultRecord } from './faults.js';
import { bpfLeaks, bpfSnapshot, fdCounts, processAnonMb, processRssMb, processTree, treeRssMb } from './measure.js';
import { Report } from './report.js';
import { Rng } from './rng.js';
import { checkCanary, checkDelivery, checkDrivenTracers, checkResources, readStoredEvents, rssTrend, type Sample } from './verify.js';
import { SoakWorkloads } from './workloads.js';

/** Largest canary gap accepted outside the kill -9 window (the canary fires every second). */
const CANARY_MAX_GAP_MS = 5000;
const RSS_MAX_GROWTH_PERCENT = 10;
const SAMPLE_MS = 2000;
const PROGRESS_MS = 10_000;
const DRAIN_TIMEOUT_MS = 90_000;
const QUIET_MS = 10_000;
const SETTLE_MS = 5000;
/** How long the disk-full phase keeps the store's filesystem full. */
const DISK_FULL_HOLD_MS = 15_000;
/** /readyz must say ready again this soon after the space returns. */
const DISK_FULL_RECOVER_MAX_MS = 15_000;
/** Silent connections of the flood phase: six times http.maxConnections (512). */
const FLOOD_SOCKETS = 3000;

interface Options {
  minutes: number;
  seed: number;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({ args: argv, options: { minutes: { type: 'string', default: '2' }, seed: { type: 'string' }, keep: { type: 'boolean', default: false } } });
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 24 * 60) throw new SoakError('SOAK_BAD_ARGS', `--minutes must be a number from 1 to 1440 (got "${values.minutes}")`);
  const seed = values.seed !== undefined ? Number(values.seed) : randomBytes(4).readUInt32LE(0);
  if (!Number.isInteger(seed) || seed < 0) throw new SoakError('SOAK_BAD_ARGS', `--seed must be a non-negative integer (got "${values.seed}")`);
  return { minutes, seed, keep: values.keep === true };
}

interface Lifetime {
  agent: AgentProcess;
  start: number;
  end?: number;
  samples: Sample[];
  lastTracers?: TracerView[];
  storageRestarts?: Record<string, number>;
}

export async function runSoak(options: Options): Promise<number> {
  const t0 = Date.now();
  const log = (msg: string): void => void process.stderr.write(`[soak +${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
  // The active phase (workloads + faults) leaves about 40 s of the run for the quiet
  // window, the drain, the stop and the checks.
  const activeMs = Math.max(60_000, options.minutes * 60_000 - 40_000);
  // Early, so the second agent lifetime (the one the RSS and fd checks use) is the longest.
  const killAtMs = Math.round(activeMs * 0.15);
  log(`seed ${options.seed}, active ${activeMs / 1000} s, kill -9 at +${killAtMs / 1000} s`);

  const rng = new Rng(options.seed);
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-soak-'));
  const logFile = join(dir, 'agent.log');
  const token = randomBytes(24).toString('base64url');
  const report = new Report();
  const ours = new Set<number>();
  const lifetimes: Lifetime[] = [];
  const workloads = new SoakWorkloads(log);
  const diskFull = new DiskFullPhase(dir, log);
  let es: FakeElasticsearch | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let progress: NodeJS.Timeout | undefined;
  let restored = false;
  const restore = async (): Promise<string[]> => {
    if (restored) return [];
    restored = true;
    const problems = await workloads.stop();
    for (const l of lifetimes) if (l.agent.alive) await l.agent.killHard();
    return problems;
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: restoring the host and leaving`);
    void restore().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const bpfBefore = bpfSnapshot();
    es = await FakeElasticsearch.start();
    await workloads.prepare();
    const storagePath = diskFull.mount();
    const configFile = writeSoakConfig({ dir, esUrl: es.url, token, loopDevice: workloads.loopDevice, storagePath });
    const flapper = new EsFlapper(es, rng, log);
    const injector = new FaultInjector(rng, log);

    const startAgent = async (): Promise<Lifetime> => {
      const agent = new AgentProcess(configFile, logFile, token);
      const life: Lifetime = { agent, start: Date.now(), samples: [] };
      lifetimes.push(life);
      await agent.ready();
      log(`agent up (pid ${agent.pid})`);
      return life;
    };
    const current = (): Lifetime => lifetimes[lifetimes.length - 1]!;
    const sample = async (): Promise<void> => {
      const life = current();
      if (!life.agent.alive) return;
      for (const p of processTree(life.agent.pid)) ours.add(p);
      life.samples.push({ at: Date.now(), rssMb: treeRssMb(life.agent.pid), mainRssMb: processRssMb(life.agent.pid), mainAnonMb: processAnonMb(life.agent.pid), fds: fdCounts(life.agent.pid) });
      try {
        life.lastTracers = await life.agent.tracers();
        life.storageRestarts = await life.agent.storageRestarts();
      } catch {
        /* going down */
      }
    };

    let life = await startAgent();
    const activeStart = Date.now();
    workloads.start();
    flapper.start();
    injector.setAgent(life.agent);
    injector.start();
    sampler = setInterval(() => void sample(), SAMPLE_MS);
    progress = setInterval(() => {
      const f = summarizeFaults(injector.records);
      log(`agent #${lifetimes.length} up ${((Date.now() - current().start) / 1000).toFixed(0)} s, rss ${current().samples.at(-1)?.rssMb.toFixed(0) ?? '?'} MiB; ` +
        `faults ${injector.records.length} (${f.classified} classified); es docs ${es!.docCount()}, create attempts ${es!.stats.bulkItems}; ` +
        `hung writers ${workloads.counts.hungRuns}, oom kills ${workloads.counts.oomKills}`);
    }, PROGRESS_MS);

    // The kill -9 of the whole agent, then a restart on the same storage.
    await sleep(Math.max(0, activeStart + killAtMs - Date.now()));
    await sample();
    injector.setAgent(undefined);
    const killAt = Date.now();
    const orphans = await life.agent.killHard();
    life.end = Date.now();
    log(`kill -9 of the agent (pid ${life.agent.pid})${orphans.length > 0 ? `; killed ${orphans.length} orphaned tracer processes` : ''}`);
    life = await startAgent();
    const kill = { at: killAt, restartedAt: Date.now() };
    injector.setAgent(life.agent);

    // After warm-up: a pause in the faults (workloads go on) until every tracer has run
    // undisturbed for a while, and the agent's descriptors at that point are the baseline.
    const plannedEnd = activeStart + activeMs;
    const warmFrom = life.start + Math.max(20_000, (plannedEnd - life.start) * 0.3);
    await sleep(Math.max(0, warmFrom - Date.now()));
    await injector.pause();
    const baseline = await settledSamples(life.agent, sample, () => current().samples);
    // Connection flood (faults still paused, workloads on): the sockets are gone again,
    // closed by the headers timeout, long before the quiet window measures descriptors.
    const flood = await connectionFlood(life.agent, logFile, FLOOD_SOCKETS, 30_000, log);
    report.check('connection-flood', describeFlood(flood), '/healthz 200, auth 404, all closed, no EMFILE', floodOk(flood));
    injector.resume();
    log(`fd baseline taken (${baseline.length} samples, all tracers settled); faults resumed`);

    // The disk-full phase: the store's filesystem full for a while, under the same load.
    const diskFullResult: DiskFullResult = await diskFull.run(life.agent, DISK_FULL_HOLD_MS);

    await sleep(Math.max(0, plannedEnd - Date.now()));
    const activeEnd = Date.now();
    log('active phase over: stopping faults and workloads, ES healthy, draining');
    await injector.stop();
    const hostProblems = await workloads.stop();
    await flapper.healthy();

    // A quiet window (no workloads, no faults, ES healthy) for the descriptors at the end,
    // then every tracer is stopped (so nothing new is stored) and the shipper drains to 0.
    await sleep(QUIET_MS);
    const quiet = await settledSamples(life.agent, sample, () => current().samples);
    for (const t of [...(await life.agent.tracers())].reverse()) {
      if (t.state !== 'stopped' && t.state !== 'unavailable') await life.agent.stopTracer(t.name).catch(() => undefined);
    }
    // The backlog gauge comes from the storage actor's 1 s report: wait for reports newer
    // than the last store, then for two zero readings in a row.
    const drainStart = Date.now();
    await sleep(2500);
    let backlog: number | undefined;
    let zeros = 0;
    while (Date.now() - drainStart < DRAIN_TIMEOUT_MS && zeros < 2) {
      backlog = await life.agent.metric('autotracer_es_backlog_events').catch(() => undefined);
      zeros = backlog === 0 ? zeros + 1 : 0;
      await sleep(1500);
    }
    await sample();
    log(`tracers stopped; drained: backlog ${backlog} after ${((Date.now() - drainStart) / 1000).toFixed(1)} s`);
    clearInterval(sampler);
    clearInterval(progress);
    const stopped = await life.agent.stop();
    life.end = Date.now();
    log(`agent stopped: code ${stopped.code}, signal ${stopped.signal}`);
    await sleep(1000); // BPF objects are freed by the kernel after the last fd closes
    const bpfAfter = bpfSnapshot();

    // ---- checks -----------------------------------------------------------------------
    const stored = await readStoredEvents(storagePath, es.url);
    const delivery = checkDelivery(stored, es);
    report.check('acked-equals-es', `${delivery.acknowledged} acked, ${delivery.inEs} in ES, ${delivery.missingInEs.length} missing, ${delivery.extraInEs.length} extra`,
      'equal sets by _id', delivery.acknowledged > 0 && delivery.missingInEs.length === 0 && delivery.extraInEs.length === 0);
    report.check('no-duplicates', `${delivery.duplicates.length} ids created twice (${delivery.createAttempts} create attempts, ${delivery.retriedAttempts} retried)`, '0', delivery.duplicates.length === 0);
    report.check('drained', `backlog ${delivery.backlog}, dead letters ${delivery.deadLetters}`, '0 and 0', delivery.backlog === 0 && delivery.deadLetters === 0);

    const canary = checkCanary(stored, CANARY, kill, diskFullResult);
    report.check('canary-gap', `${canary.maxGapMs} ms max over ${canary.events} events${canary.maxGapAt !== undefined ? ` (at ${canary.maxGapAt})` : ''}`,
      `≤ ${CANARY_MAX_GAP_MS} ms`, canary.events >= 2 && canary.maxGapMs <= CANARY_MAX_GAP_MS);

    // Resources over the longest agent lifetime.
    // RSS: the window after warm-up (the first 30 % of its active part: every tracer has
    // captured by then, so one-time caches such as kernel symbols are loaded) against the
    // last window of the active phase, of equal length.
    const longest = lifetimes.reduce((a, b) => ((b.end ?? 0) - b.start > (a.end ?? 0) - a.start ? b : a));
    const windowMs = Math.max(15_000, (activeEnd - warmFrom) * 0.25);
    // Samples within 5 s after an injected heap-oom are left out: the victim's heap fills
    // to its 192 MB cap before it dies, a spike that is not growth.
    const oomAt = injector.records.filter((r) => r.kind === 'heap-oom').map((r) => r.at);
    const calm = (x: Sample): boolean => !oomAt.some((t) => x.at >= t && x.at <= t + 5000);
    const warm = longest.samples.filter((s) => s.at >= warmFrom && s.at < warmFrom + windowMs && calm(s));
    const endWin = longest.samples.filter((s) => s.at >= activeEnd - windowMs && s.at <= activeEnd && calm(s));
    if (longest !== life) report.note('warning', 'the first agent lifetime was the longest: RSS and descriptors are measured on the second');
    const res = checkResources({ start: life.start, end: life.end ?? Date.now() }, warm, endWin, baseline, quiet);
    report.check('rss-growth', `${res.warmupRssMb.toFixed(1)} → ${res.endRssMb.toFixed(1)} MiB (${res.rssGrowthPercent.toFixed(1)} %) over ${res.lifetimeSeconds.toFixed(0)} s`,
      `< ${RSS_MAX_GROWTH_PERCENT} %`, warm.length > 0 && endWin.length > 0 && res.rssGrowthPercent < RSS_MAX_GROWTH_PERCENT);
    report.check('fds-leaked', `${res.leakedFds} (non-socket ${fmtFds(res.warmupFds)} → ${fmtFds(res.endFds)}), BPF/perf ${res.leakedBpfFds}`,
      '0', res.warmupFds !== undefined && res.endFds !== undefined && res.leakedFds === 0 && res.leakedBpfFds === 0);
    const leaks = bpfLeaks(bpfBefore, bpfAfter, ours);
    const leakedProgs = leaks.leaked.filter((o) => o.kind === 'prog');
    const leakedLinks = leaks.leaked.filter((o) => o.kind === 'link');
    report.check('bpf-leaked', `${leakedProgs.length} programs, ${leakedLinks.length} links${leaks.leaked.length > 0 ? ` (${leaks.leaked.map((o) => `${o.kind} ${o.id} ${o.name}`).join(', ')})` : ''}`,
      '0', leaks.leaked.length === 0);

    const f = summarizeFaults(injector.records);
    report.check('faults-classified', `${f.classified} of ${f.observedOrFailed} (misclassified ${f.misclassified}, not observed ${f.notObserved}; interrupted by the kill ${f.interrupted}, skipped ${f.skipped}, refused ${f.refused})`,
      'all', f.classified > 0 && f.misclassified === 0 && f.notObserved === 0 && f.refused === 0);

    // Every tracer a workload drives stored something (for hungtask and oom: about our own
    // writer / allocator), unless its workload cannot run on this host or the kernel lacks
    // what the tracer needs.
    const excluded = new Set<string>(workloads.skipped.keys());
    for (const l of lifetimes) for (const t of l.lastTracers ?? []) if (t.state === 'unavailable') excluded.add(t.name);
    const drives = workloads.driven();
    const fired = checkDrivenTracers(stored, drives, excluded);
    const notDriven = drives.filter((d) => excluded.has(d.tracer)).map((d) => `${d.tracer} (${workloads.skipped.get(d.tracer) ?? 'unavailable'})`);
    report.check('driven-tracers-fired', `${fired.driven.length - fired.silent.length} of ${fired.driven.length} (${fired.driven.map((d) => `${d.tracer} ${d.events}`).join(', ')})` +
      `${notDriven.length > 0 ? `; not driven: ${notDriven.join(', ')}` : ''}`, '≥ 1 event each', fired.driven.length > 0 && fired.silent.length === 0);

    const byReason: Record<string, number> = {};
    for (const l of lifetimes) for (const t of l.lastTracers ?? []) for (const [r, n] of Object.entries(t.restartsByReason)) byReason[r] = (byReason[r] ?? 0) + n;
    const restarts = Object.values(byReason).reduce((a, b) => a + b, 0);
    const storageByReason: Record<string, number> = {};
    for (const l of lifetimes) for (const [r, n] of Object.entries(l.storageRestarts ?? {})) storageByReason[r] = (storageByReason[r] ?? 0) + n;
    const storageRestarts = Object.values(storageByReason).reduce((a, b) => a + b, 0);
    // Every injected crash that was seen is one restart; anything beyond is a crash of the
    // agent's own (the storage actor is never injected into).
    const uninjected = restarts - f.classified - f.misclassified - f.interrupted;
    report.check('uninjected-crashes', `${Math.max(0, uninjected)} tracer (restarts ${restarts}, injected and seen ${f.classified + f.misclassified}), storage ${storageRestarts}`,
      '0', uninjected <= 0 && storageRestarts === 0);
    report.check('disk-full', `degraded after ${diskFullResult.detectedAfterMs ?? '-'} ms of ${diskFullResult.heldMs} ms full; ready ${diskFullResult.recoveredAfterMs ?? '-'} ms after space returned`,
      `degraded reported; ready ≤ ${DISK_FULL_RECOVER_MAX_MS} ms after`, diskFullResult.detectedAfterMs !== undefined && diskFullResult.recoveredAfterMs !== undefined && diskFullResult.recoveredAfterMs <= DISK_FULL_RECOVER_MAX_MS);
    report.check('agent-exit', `code ${stopped.code}, signal ${stopped.signal}${stopped.forced ? ' (SIGKILL after timeout)' : ''}`, 'code 0', stopped.code === 0 && !stopped.forced);
    report.check('host-restored', hostProblems.length === 0 ? 'cgroups, loop devices, sysctls, workloads gone' : hostProblems.join('; '), 'nothing left', hostProblems.length === 0);

    report.note('seed', String(options.seed));
    report.note('duration', `${((Date.now() - t0) / 1000).toFixed(0)} s (active ${(activeMs / 1000).toFixed(0)} s)`);
    report.note('disk-full gap', canary.diskFullGapMs !== undefined ? `${canary.diskFullGapMs} ms canary gap during the disk-full phase (its saves waited for durability)` : 'no canary gap overlapped the disk-full phase');
    report.note('kill -9 gap', canary.killGapMs !== undefined ? `${canary.killGapMs} ms canary gap across the kill -9 (agent down → running again: ${kill.restartedAt - kill.at} ms)` : 'no canary event on one side of the kill');
    report.note('rss split', `agent process ${res.mainRssMb.map((x) => x.toFixed(1)).join(' → ')} MiB, forked tracers ${res.childrenRssMb.map((x) => x.toFixed(1)).join(' → ')} MiB (${warm.length} and ${endWin.length} samples)`);
    report.note('rss trend', `${rssTrend(life.samples.filter((x) => x.at <= activeEnd && calm(x)))} (MiB, tree/agent RssAnon, per tenth of the longest lifetime)`);
    report.note('fd kinds changed', Object.entries(res.fdKindDiff).map(([k, [a, b]]) => `${k} ${a} → ${b}`).join(', ') || 'none');
    report.note('storage restarts', Object.entries(storageByReason).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none');
    report.note('restarts by reason', Object.entries(byReason).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none');
    report.note('faults by kind', Object.entries(countBy(injector.records, (r) => r.kind)).map(([k, n]) => `${k} ${n}`).join(', '));
    report.note('faults by tracer', Object.entries(countBy(injector.records, (r) => r.tracer)).map(([k, n]) => `${k} ${n}`).join(', '));
    report.note('events by tracer', Object.entries(countBy(stored.docs, (d) => d.tracer_name)).map(([k, n]) => `${k} ${n}`).join(', '));
    report.note('es phases', Object.entries(flapper.phaseCounts).map(([k, n]) => `${k} ${n}`).join(', '));
    report.note('workloads', Object.entries(workloads.counts).map(([k, n]) => `${k} ${n}`).join(', '));
    report.note('foreign bpf objects', `${leaks.foreign.length} (held by other processes on the shared host; not ours)`);
    for (const r of injector.records.filter((x) => x.outcome === 'misclassified' || x.outcome === 'not-observed' || x.outcome === 'refused')) {
      report.note('fault problem', `${new Date(r.at).toISOString()} ${r.kind} → ${r.tracer} (${r.isolation}): ${r.outcome}, expected ${r.expected}, got ${r.observed ?? '-'} ${r.detail ?? ''}`);
    }
    report.note('agent log', options.keep || report.failed.length > 0 ? logFile : '(removed; --keep keeps it)');
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    if (progress !== undefined) clearInterval(progress);
    const late = await restore();
    if (late.length > 0) log(`host restore problems: ${late.join('; ')}`);
    try {
      diskFull.unmount();
    } catch (err) {
      log(`cannot unmount ${diskFull.mountPoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
    await es?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.stdout.write(`${report.render()}\n`);
  if (report.failed.length === 0 && !options.keep) rmSync(dir, { recursive: true, force: true });
  return report.failed.length === 0 ? 0 : 1;
}

/**
 * Waits (≤ 60 s) until every tracer is running (or unavailable) and no restart happened for
 * SETTLE_MS, then takes five samples a second apart and returns them: the state in which
 * descriptors are compared (no tracer half-way through a crash or a restart).
 */
async function settledSamples(agent: AgentProcess, sample: () => Promise<void>, samples: () => Sample[]): Promise<Sample[]> {
  const deadline = Date.now() + 60_000;
  let stableSince = Date.now();
  let lastRestarts = -1;
  while (Date.now() < deadline) {
    const tracers = await agent.tracers().catch(() => []);
    const restarts = tracers.reduce((n, t) => n + t.restarts, 0);
    const settled = tracers.length > 0 && tracers.every((t) => t.state === 'running' || t.state === 'unavailable');
    if (!settled || restarts !== lastRestarts) stableSince = Date.now();
    lastRestarts = restarts;
    if (Date.now() - stableSince >= SETTLE_MS) break;
    await sleep(500);
  }
  const from = samples().length;
  for (let i = 0; i < 5; i++) {
    await sample();
    await sleep(1000);
  }
  return samples().slice(from);
}

function fmtFds(f: { total: number; sockets: number } | undefined): string {
  return f === undefined ? '?' : String(f.total - f.sockets);
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

function summarizeFaults(records: readonly FaultRecord[]) {
  const n = (o: FaultRecord['outcome']): number => records.filter((r) => r.outcome === o).length;
  const classified = n('classified');
  const misclassified = n('misclassified');
  const notObserved = n('not-observed');
  return { classified, misclassified, notObserved, interrupted: n('interrupted'), skipped: n('skipped'), refused: n('refused'), observedOrFailed: classified + misclassified + notObserved };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message}\nusage: node dist/bench/soak/run.js --minutes N [--seed S] [--keep]\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('soak: must run as root (BPF, cgroups, loop devices)\n');
    return 2;
  }
  try {
    return await runSoak(options);
  } catch (err) {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

// Exit explicitly: a workload timer or a keep-alive socket must not hold the verdict back.
process.exit(await main());
