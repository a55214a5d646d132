// /metrics of a real agent for the series fed by the supervisor hooks: storage write
// latency (histogram), cooldown skips and triggers per tracer, BPF run count and run time
// per program (the sched_count fixture on the real kernel). Conventions are checked too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { fixture } from '../supervisor/harness.js';
import { call, fastRestart, saverModule, startAgent, waitFor } from '../http/support.js';
import { conventionViolations, parseExposition, type MetricFamily } from './exposition.js';

const spec = { restart: fastRestart, shutdownMs: 2000, killAfterMs: 1000, metricsIntervalMs: 200 };

function sample(fams: Map<string, MetricFamily>, family: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return fams.get(family)?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test('write latency histogram, cooldown skips, triggers and BPF program runs in /metrics', async (t) => {
  const agent = await startAgent(t, {}, [
    tracerSpec({ name: 'saver', modulePath: saverModule, ...spec }),
    tracerSpec({ name: 'example', modulePath: builtinTracers.example!.modulePath, settings: { loadThreshold: 0, sampleMs: 20 }, cooldownSeconds: 3600, ...spec }),
    // Run statistics are off by default since #13 item 3 (every BPF program on the host pays
    // for them): this tracer asks for them, as a configured measurement window would.
    tracerSpec({ name: 'schedcount', modulePath: fixture('bpf-sched-count'), bpfStats: true, ...spec }),
  ]);
  const base = agent.server.url;
  for (let i = 0; i < 2; i++) assert.equal((await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token })).status, 200);

  const scrape = async () => parseExposition((await call(base, 'GET', '/metrics')).text);
  // The storage actor reports latencies once a second; the BPF report comes every 200 ms.
  let latencyCount = 0;
  const fams = await waitFor('all series populated', async () => {
    const f = await scrape();
    // Drained at each scrape: the histogram keeps what earlier scrapes fed it.
    latencyCount = sample(f, 'autotracer_storage_write_latency_seconds', 'autotracer_storage_write_latency_seconds_count') ?? 0;
    const runs = sample(f, 'autotracer_bpf_program_runs_total', 'autotracer_bpf_program_runs_total', { tracer: 'schedcount', program: 'count_switch' }) ?? 0;
    const skips = sample(f, 'autotracer_tracer_cooldown_skips_total', 'autotracer_tracer_cooldown_skips_total', { tracer: 'example' }) ?? 0;
    return latencyCount > 0 && runs > 0 && skips > 0 ? f : undefined;
  }, 15_000);

  assert.ok(latencyCount >= 1, `write latency _count ${latencyCount}`);
  assert.ok((sample(fams, 'autotracer_storage_write_latency_seconds', 'autotracer_storage_write_latency_seconds_sum') ?? -1) >= 0);
  assert.ok((sample(fams, 'autotracer_bpf_program_run_seconds_total', 'autotracer_bpf_program_run_seconds_total', { tracer: 'schedcount', program: 'count_switch' }) ?? 0) > 0);
  // Triggers: the saver's two manual captures; the example's one automatic arm.
  assert.equal(sample(fams, 'autotracer_tracer_triggers_total', 'autotracer_tracer_triggers_total', { tracer: 'saver' }), 2);
  assert.equal(sample(fams, 'autotracer_tracer_triggers_total', 'autotracer_tracer_triggers_total', { tracer: 'example' }), 1);
  assert.equal(sample(fams, 'autotracer_tracer_cooldown_skips_total', 'autotracer_tracer_cooldown_skips_total', { tracer: 'saver' }), 0);

  // No exemption: prom-client's three gauges named *_total are dropped (#12 item 9).
  const violations = [...fams.values()].flatMap((f) => conventionViolations(f));
  assert.deepEqual(violations, []);
  for (const name of ['autotracer_bpf_program_runs_total', 'autotracer_bpf_program_run_seconds_total', 'autotracer_tracer_cooldown_skips_total']) {
    assert.equal(fams.get(name)?.type, 'counter', name);
  }

  // Monotonic across a stop/start of the BPF tracer (a new actor, new BPF object).
  const runsBefore = sample(await scrape(), 'autotracer_bpf_program_runs_total', 'autotracer_bpf_program_runs_total', { tracer: 'schedcount', program: 'count_switch' })!;
  assert.equal((await call(base, 'PUT', '/api/v1/tracers/schedcount/stop', { token: agent.token })).status, 200);
  assert.equal((await call(base, 'PUT', '/api/v1/tracers/schedcount/start', { token: agent.token })).status, 200);
  const runsAfter = sample(await scrape(), 'autotracer_bpf_program_runs_total', 'autotracer_bpf_program_runs_total', { tracer: 'schedcount', program: 'count_switch' })!;
  assert.ok(runsAfter >= runsBefore, `runs went from ${runsBefore} to ${runsAfter}`);
});
