// memburst on the real host: a process (test/fixtures/memburst/grow.c) that more than doubles
// its anonymous memory inside a lowered window -> one event naming it first by growth; a
// second burst within the cooldown -> none, also from a fresh Tracer object (= a restart of
// the tracer) sharing the ledger. Thresholds are derived from this host's meminfo.
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { memburstSettingsSchema } from '../../src/actors/tracers/memburst/config.js';
import { MemburstTracer, type MemburstEventData } from '../../src/actors/tracers/memburst/index.js';
import { readMemSample } from '../../src/actors/tracers/memburst/meminfo.js';
import { createTestCgroup, favourOnCpu, moveToCgroup, removeTestCgroup, spawnWorkload, waitFor, type TestCgroup, type Workload } from '../support/host.js';
import { CooldownLedger, testContext } from '../support/tracer-context.js';
import { compileFixture } from '../dload/workloads.js';

const MiB = 1024 * 1024;
const BASE_MIB = 128;
// A large step: other jobs on this shared host would need half of it within 1.2 s to disturb the test.
const STEP_MIB = 1024;
/**
 * Samples in the window (0.2 s apart): 5 s, so the whole 1 GiB step lands inside one window.
 * With 6 samples (1.2 s) the rule only fired when the memset finished in about a second,
 * which it did not on a machine busy reclaiming after the OOM test (measured: ~200 MiB per tick).
 */
const WINDOW_SAMPLES = 25;
const workloads: Workload[] = [];
let growerCgroup: TestCgroup | undefined;
after(async () => {
  for (const w of workloads) await w.kill();
  await removeTestCgroup(growerCgroup);
});

interface Grower {
  pid: number;
  /** Sends a command ('g' grow, 'f' free) and waits for its answer line. */
  send(cmd: 'g' | 'f'): Promise<string>;
}

async function startGrower(): Promise<Grower> {
  const binary = compileFixture('memburst', 'grow');
  const w = spawnWorkload(binary, [String(STEP_MIB), String(BASE_MIB)], { stdio: ['pipe', 'pipe', 'inherit'] });
  workloads.push(w);
  // Touching 1 GiB is ~262 k page faults: 20–40 s of wall time on a machine loaded to 20
  // runnable tasks, longer than the window, so the burst never fitted in it. A cgroup of its own
  // (v1 cpu only: to memburst it stays a host process) with the largest cpu.shares gets the
  // grower its CPU whatever else runs.
  growerCgroup = createTestCgroup('memburst-grow', { v1: ['cpu'] });
  favourOnCpu(growerCgroup);
  moveToCgroup(w.pid, growerCgroup);
  const lines: string[] = [];
  createInterface({ input: w.child.stdout! }).on('line', (l) => lines.push(l));
  await waitFor(() => lines.includes('ready'), { timeoutMs: 10_000, what: 'the grower' });
  return {
    pid: w.pid,
    async send(cmd) {
      const before = lines.length;
      w.child.stdin!.write(cmd);
      await waitFor(() => lines.length > before, { timeoutMs: 30_000, what: `the grower's answer to ${cmd}` });
      return lines[before]!;
    },
  };
}

test('a doubling process -> one event listing it first by growth; none within the cooldown, also after a restart', async (t) => {
  const grower = await startGrower();
  const { anonBytes, memTotalBytes } = readMemSample('/proc');
  // Fire at half the growth the grower will cause (room for other tests' noise either way),
  // and at an anon share this host certainly has.
  const burstPercent = Math.max(1, Math.floor(((STEP_MIB * MiB) / anonBytes) * 100 * 0.5));
  const anonPercent = Math.floor(((anonBytes / memTotalBytes) * 100) / 2);
  const settings = memburstSettingsSchema.parse({
    intervalSeconds: 0.2,
    windowSamples: WINDOW_SAMPLES,
    burstPercent,
    anonPercent,
    containers: { scanRoots: [], plainRoots: [] },
  });
  const ledger = new CooldownLedger();

  const run = (tracer: MemburstTracer) => {
    const abort = new AbortController();
    const ctx = testContext('memburst', settings, abort.signal, { ledger });
    let ticks = 0;
    tracer.onSample = () => void ticks++;
    const running = tracer.start(ctx);
    const stop = async () => {
      abort.abort();
      await running;
    };
    t.after(stop);
    return { ctx, stop, ticks: () => ticks };
  };
  const deniedAfter = (since: number) => ledger.log.some((l) => !l.granted && l.at >= since);

  // 1. First burst: one event.
  const first = run(new MemburstTracer());
  await waitFor(() => first.ticks() > WINDOW_SAMPLES, { timeoutMs: 20_000, what: 'a full window' });
  assert.equal(first.ctx.saved.length, 0, `no event before the burst (burst ${burstPercent} %, anon ${anonPercent} %)`);
  assert.match(await grower.send('g'), /^grown 1/);
  await waitFor(() => first.ctx.saved.length >= 1, { timeoutMs: 10_000, what: `the burst event (burst ${burstPercent} %)` });
  const data = first.ctx.saved[0]!.data as MemburstEventData;
  const top = data.top_memory_growth[0]!;
  assert.equal(top.pid, grower.pid, `first by growth: ${JSON.stringify(data.top_memory_growth.slice(0, 3))}`);
  assert.equal(top.process_name, 'grow');
  // The tick that fires may catch the grower mid-memset: the rule needed half the step.
  assert.ok(top.growth_size >= STEP_MIB * MiB * 0.4, `growth ${top.growth_size}`);
  assert.ok(top.anon_size >= (BASE_MIB + STEP_MIB * 0.4) * MiB, `anon ${top.anon_size}`);
  assert.ok(top.anon_size_before >= BASE_MIB * MiB * 0.9 && top.anon_size_before < (BASE_MIB + 16) * MiB, `before ${top.anon_size_before}`);
  assert.ok(top.memory_size >= top.anon_size, 'RSS includes anon');
  assert.equal(top.container_id, null, 'a host process');
  assert.ok(data.top_memory_usage.some((p) => p.pid === grower.pid), 'listed by RSS too');
  assert.ok(data.top_memory_usage.length <= 10 && data.top_memory_growth.length <= 10);
  assert.ok(data.anon_size >= (1 + burstPercent / 100) * data.anon_size_oldest);

  // 2. Second burst within the cooldown: the rule fires, the ledger refuses, nothing saved.
  assert.equal(await grower.send('f'), 'freed');
  let mark = first.ticks();
  await waitFor(() => first.ticks() > mark + WINDOW_SAMPLES, { timeoutMs: 20_000, what: 'the window to forget the first burst' });
  let since = Date.now();
  await grower.send('g');
  await waitFor(() => deniedAfter(since), { timeoutMs: 10_000, what: 'the second burst to be refused by the cooldown' });
  assert.equal(first.ctx.saved.length, 1);
  await first.stop();

  // 3. A restarted tracer (fresh object, same ledger): still refused.
  assert.equal(await grower.send('f'), 'freed');
  const second = run(new MemburstTracer());
  await waitFor(() => second.ticks() > WINDOW_SAMPLES, { timeoutMs: 20_000, what: 'a full window after the restart' });
  since = Date.now();
  mark = second.ticks();
  await grower.send('g');
  await waitFor(() => deniedAfter(since), { timeoutMs: 10_000, what: 'the burst after the restart to be refused' });
  assert.ok(second.ticks() > mark);
  assert.equal(second.ctx.saved.length, 0, 'no event after the restart within the cooldown');
});
