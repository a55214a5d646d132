// memburst's rule, parsers and tracer_data, replayed from fixture procfs files (procRoot
// setting) so every number is known: the event's shape is pinned here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SampleWindow, evaluateBurst } from '../../src/actors/tracers/memburst/detector.js';
import { memburstSettingsSchema } from '../../src/actors/tracers/memburst/config.js';
import { MemburstTracer, type MemburstEventData } from '../../src/actors/tracers/memburst/index.js';
import { parseStatm } from '../../src/actors/tracers/memburst/processes.js';
import { parseMeminfo, parseStatus } from '../../src/procfs/index.js';
import { repoRoot } from '../../src/paths.js';
import { waitFor } from '../support/host.js';
import { testContext } from '../support/tracer-context.js';

const fixture = (name: string): string => readFileSync(join(repoRoot, 'test', 'fixtures', 'memburst', name), 'utf8');
const KiB = 1024;
const GiB_KiB = 1024 * 1024;

test('window: the oldest sample is capacity-1 pushes old, and only once full', () => {
  const w = new SampleWindow(3);
  assert.equal(w.push(10), undefined);
  assert.equal(w.push(20), undefined);
  assert.equal(w.push(30), 10);
  assert.equal(w.push(40), 20);
  assert.equal(w.size, 3);
});

test('rule: both the burst and the anon share must hold (>=, as HUATUO)', () => {
  const rule = { burstPercent: 100, anonPercent: 70 };
  assert.equal(evaluateBurst(140, 70, 200, rule).fire, true); // exactly doubled, exactly 70 %
  assert.equal(evaluateBurst(139, 70, 200, rule).fire, false); // not doubled
  assert.equal(evaluateBurst(130, 60, 200, rule).fire, false); // doubled, but 65 % of MemTotal
  assert.equal(evaluateBurst(190, undefined, 200, rule).fire, false); // window not full
  assert.equal(evaluateBurst(150, 100, 200, { burstPercent: 50, anonPercent: 0 }).fire, true);
});

test('parsers: meminfo kB -> bytes; status and statm of a process and of a kernel thread', () => {
  const mem = parseMeminfo(fixture('meminfo').replace('@ACTIVE_ANON@', '10').replace('@INACTIVE_ANON@', '20'));
  assert.equal(mem.get('MemTotal'), 24683656 * KiB);
  assert.equal(mem.get('Active(anon)'), 10 * KiB);
  assert.equal(mem.get('Inactive(anon)'), 20 * KiB);
  const p = parseStatus(fixture('status').replaceAll('@PID@', '42').replace('@NAME@', 'a b(c)').replace('@RSS@', '300').replace('@ANON@', '200'));
  assert.deepEqual(p, { pid: 42, name: 'a b(c)', rssBytes: 300 * KiB, anonBytes: 200 * KiB });
  assert.equal(parseStatus(fixture('kthread-status').replaceAll('@PID@', '7')), undefined);
  // statm: resident 300 pages, shared (file + shmem) 100 pages -> anon 200 pages.
  assert.deepEqual(parseStatm(42, fixture('statm').replace('@RESIDENT@', '300').replace('@SHARED@', '100').replace('@DATA@', '1'), 4096), { pid: 42, name: '', rssBytes: 300 * 4096, anonBytes: 200 * 4096 });
  assert.equal(parseStatm(7, fixture('kthread-statm'), 4096), undefined);
});

test('replayed burst -> one event whose tracer_data is exactly the pinned shape; cooldown holds', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'autotracer-memburst-proc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  // Pids above any real pid_max default, so the resolver's /proc/<pid>/cgroup lookups miss.
  const STEADY = 4_100_001;
  const BURSTER = 4_100_002;
  const KTHREAD = 4_100_003;
  const writeTick = (anonKiB: number, bursterAnonKiB: number): void => {
    writeFileSync(join(root, 'meminfo'), fixture('meminfo').replace('@ACTIVE_ANON@', String(anonKiB / 2)).replace('@INACTIVE_ANON@', String(anonKiB / 2)));
    const proc = (pid: number, name: string, statm: string) => {
      mkdirSync(join(root, String(pid)), { recursive: true });
      writeFileSync(join(root, String(pid), 'statm'), statm);
      writeFileSync(join(root, String(pid), 'comm'), `${name}\n`);
    };
    // statm in 4 KiB pages (no <procRoot>/self here: the page size falls back to 4096).
    const statm = (rssKiB: number, anonKiB: number) =>
      fixture('statm').replace('@RESIDENT@', String(rssKiB / 4)).replace('@SHARED@', String((rssKiB - anonKiB) / 4)).replace('@DATA@', String(anonKiB / 4));
    proc(STEADY, 'steady', statm(12 * GiB_KiB, 400 * 1024));
    proc(BURSTER, 'burster', statm(bursterAnonKiB + 1000, bursterAnonKiB));
    proc(KTHREAD, 'kworker/0:1', fixture('kthread-statm'));
  };
  // anon (KiB) per tick and the burster's RssAnon: steady at 8 GiB, then 18 GiB (> 2x the
  // oldest of a 4-sample window and > 70 % of the fixture's 23.5 GiB MemTotal).
  const schedule: Array<[number, number]> = [
    [8 * GiB_KiB, 100 * 1024],
    [8 * GiB_KiB, 100 * 1024],
    [8 * GiB_KiB, 100 * 1024],
    [8 * GiB_KiB, 100 * 1024],
    [18 * GiB_KiB, 10 * GiB_KiB],
    [18 * GiB_KiB, 10 * GiB_KiB],
    [18 * GiB_KiB, 10 * GiB_KiB],
  ];
  writeTick(...schedule[0]!);
  const settings = memburstSettingsSchema.parse({
    intervalSeconds: 0.05,
    windowSamples: 4,
    topN: 2,
    procRoot: root,
    containers: { scanRoots: [], plainRoots: [] },
  });
  const abort = new AbortController();
  const ctx = testContext('memburst', settings, abort.signal);
  const tracer = new MemburstTracer();
  let tick = 0;
  tracer.onSample = () => {
    tick++;
    const next = schedule[Math.min(tick, schedule.length - 1)]!;
    writeTick(...next);
  };
  const running = tracer.start(ctx);
  t.after(async () => {
    abort.abort();
    await running;
  });
  await waitFor(() => tick >= schedule.length + 2, { timeoutMs: 5000, what: 'the replay' });
  assert.equal(ctx.saved.length, 1, 'one event; the later burst ticks are refused by the cooldown');
  // Fires while the oldest sample is pre-burst (3 ticks), then the window has caught up.
  assert.deepEqual(ctx.ledger.log.map((l) => l.granted), [true, false, false]);
  const event = ctx.saved[0]!;
  assert.equal(event.containerId, undefined);
  assert.equal(event.container, undefined);
  const data = event.data as MemburstEventData;
  const expected: MemburstEventData = {
    top_memory_usage: [
      { pid: STEADY, process_name: 'steady', memory_size: 12 * GiB_KiB * KiB, anon_size: 400 * 1024 * KiB, container_id: null },
      { pid: BURSTER, process_name: 'burster', memory_size: (10 * GiB_KiB + 1000) * KiB, anon_size: 10 * GiB_KiB * KiB, container_id: null },
    ],
    top_memory_growth: [
      {
        pid: BURSTER,
        process_name: 'burster',
        memory_size: (10 * GiB_KiB + 1000) * KiB,
        anon_size: 10 * GiB_KiB * KiB,
        container_id: null,
        growth_size: (10 * GiB_KiB - 100 * 1024) * KiB,
        anon_size_before: 100 * 1024 * KiB,
      },
      { pid: STEADY, process_name: 'steady', memory_size: 12 * GiB_KiB * KiB, anon_size: 400 * 1024 * KiB, container_id: null, growth_size: 0, anon_size_before: 400 * 1024 * KiB },
    ],
    anon_size: 18 * GiB_KiB * KiB,
    anon_size_oldest: 8 * GiB_KiB * KiB,
    mem_total: 24683656 * KiB,
    growth_percent: 125,
    burst_percent: 100,
    anon_percent: 70,
    window_seconds: 0.15,
    reason: 'burst',
  };
  assert.deepEqual(data, expected);
  // The snake_case names HUATUO's docs use (its HEAD regressed to PID/ProcessName/MemSize).
  assert.deepEqual(Object.keys(data.top_memory_usage[0]!).slice(0, 3), ['pid', 'process_name', 'memory_size']);

  // A manual trigger bypasses the rule and the cooldown.
  await tracer.trigger({ reason: 'operator' }, ctx);
  assert.equal(ctx.saved.length, 2);
  assert.equal((ctx.saved[1]!.data as MemburstEventData).reason, 'operator');
  assert.equal((ctx.saved[1]!.data as MemburstEventData).top_memory_usage[0]!.process_name, 'steady');
  assert.deepEqual(tracer.update().map((m) => m.name), ['memburst_anon_bytes', 'memburst_window_growth_percent']);
});
