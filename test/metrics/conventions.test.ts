// The exposition parser and convention checker must catch what they claim to catch (so the
// /metrics tests that use them can fail), and AgentMetrics must keep counters monotonic
// when an actor's running totals restart from zero, and name update() samples by the rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMetrics } from '../../src/metrics/agent-metrics.js';
import { initialActorStatus, type ActorStatus, type AgentStatus } from '../../src/supervisor/status.js';
import { conventionViolations, ExpositionError, parseExposition } from './exposition.js';

const family = (text: string) => [...parseExposition(text).values()];

test('the checker flags a counter without _total, a missing unit, a non-snake_case name, a gauge named _total', () => {
  const bad = family([
    '# TYPE autotracer_events_captured counter', 'autotracer_events_captured 1',
    '# TYPE autotracer_write_latency histogram', 'autotracer_write_latency_bucket{le="+Inf"} 1', 'autotracer_write_latency_sum 1', 'autotracer_write_latency_count 1',
    '# TYPE autotracer_lmdb_size gauge', 'autotracer_lmdb_size 4096',
    '# TYPE autotracer_queueDepth gauge', 'autotracer_queueDepth 1',
    '# TYPE autotracer_things_total gauge', 'autotracer_things_total 1',
    '# TYPE autotracer_flush_ms gauge', 'autotracer_flush_ms 1',
    '# TYPE other_metric gauge', 'other_metric{BadLabel="x"} 1',
  ].join('\n'));
  const all = bad.flatMap((f) => conventionViolations(f));
  for (const expected of [
    /autotracer_events_captured: counter without _total/,
    /autotracer_write_latency: time\/size metric without the _seconds/,
    /autotracer_lmdb_size: time\/size metric without the _bytes/,
    /autotracer_queueDepth: not snake_case/,
    /autotracer_things_total: gauge named _total/,
    /autotracer_flush_ms: not in a base unit/,
    /other_metric: missing prefix/,
    /other_metric: label BadLabel not snake_case/,
  ]) assert.ok(all.some((v) => expected.test(v)), `expected ${expected} in ${JSON.stringify(all)}`);
  const good = family('# TYPE autotracer_es_lag_seconds gauge\nautotracer_es_lag_seconds{host="h"} 0\n# TYPE autotracer_x_total counter\nautotracer_x_total 2\n');
  assert.deepEqual(good.flatMap((f) => conventionViolations(f)), []);
});

test('the parser rejects a duplicated metric name and malformed lines', () => {
  assert.throws(() => parseExposition('# TYPE a_total counter\na_total 1\n# TYPE a_total counter\na_total 2\n'), ExpositionError);
  assert.throws(() => parseExposition('a_total{x="1" 1\n'), ExpositionError);
  const fams = parseExposition('# HELP m_seconds help text\n# TYPE m_seconds histogram\nm_seconds_bucket{le="0.1",a="q\\"x"} 2\nm_seconds_sum 0.3\nm_seconds_count 2\n');
  const m = fams.get('m_seconds');
  assert.equal(m?.type, 'histogram');
  assert.equal(m?.samples.length, 3);
  assert.equal(m?.samples[0]?.labels.a, 'q"x');
});

function actor(partial: Partial<ActorStatus> & Pick<ActorStatus, 'name' | 'kind'>): ActorStatus {
  return {
    ...initialActorStatus(partial.name, partial.kind, 'thread'),
    state: 'running', heartbeatAgeMs: 100, eventLoopUtilization: 0.1, metricsTime: Date.now(), ...partial,
  };
}

function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const fam = parseExposition(text).get(name);
  const s = fam?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}

test('counters from actor totals stay monotonic when the actor restarts from zero', async () => {
  let status: AgentStatus = { startedAt: 0, actors: [], mailbox: { queuedEvents: 0, droppedEvents: 0 } };
  const metrics = new AgentMetrics({ status: () => status, host: 'h1', region: 'r1', defaultMetrics: false });
  const storageMetrics = (stored: number, size: number) => [
    { name: 'storage_eventsStored', value: stored },
    { name: 'storage_lmdbSizeBytes', value: size },
  ];
  const at = (stored: number, saved: number, cpu: number) => {
    status = {
      startedAt: 0,
      mailbox: { queuedEvents: 2, droppedEvents: 1 },
      actors: [
        actor({ name: 'storage', kind: 'storage', metrics: storageMetrics(stored, 8192), cpuSeconds: cpu }),
        actor({ name: 't1', kind: 'tracer', metrics: [{ name: 't1_saved', value: saved, kind: 'counter' }, { name: 'queueDepth', value: 5, labels: { 'dev-name': 'sda' } }] }),
      ],
    };
  };
  at(10, 4, 1.5);
  let text = await metrics.render();
  assert.equal(value(text, 'autotracer_storage_events_written_total', { host: 'h1', region: 'r1' }), 10);
  assert.equal(value(text, 'autotracer_tracer_t1_saved_total', { tracer: 't1' }), 4);
  assert.equal(value(text, 'autotracer_tracer_queue_depth', { tracer: 't1', dev_name: 'sda' }), 5);
  assert.equal(value(text, 'autotracer_storage_lmdb_size_bytes'), 8192);
  assert.equal(value(text, 'autotracer_storage_mailbox_events'), 2);
  assert.equal(value(text, 'autotracer_events_dropped_total', { reason: 'mailbox' }), 1);
  assert.equal(value(text, 'autotracer_actor_state', { actor: 't1', state: 'running' }), 1);
  assert.equal(value(text, 'autotracer_actor_state', { actor: 't1', state: 'disabled' }), 0);
  // Both actors restarted: their totals start again from zero, then grow.
  at(3, 1, 0.5);
  text = await metrics.render();
  assert.equal(value(text, 'autotracer_storage_events_written_total'), 13);
  assert.equal(value(text, 'autotracer_tracer_t1_saved_total', { tracer: 't1' }), 5);
  assert.equal(value(text, 'autotracer_actor_cpu_seconds_total', { actor: 'storage' }), 2);
  at(5, 2, 0.7);
  text = await metrics.render();
  assert.equal(value(text, 'autotracer_storage_events_written_total'), 15);
  assert.equal(value(text, 'autotracer_tracer_t1_saved_total', { tracer: 't1' }), 6);
  for (const f of parseExposition(text).values()) assert.deepEqual(conventionViolations(f), []);
});

test('update() samples that would break the conventions are not exported, and are counted', async () => {
  const status: AgentStatus = {
    startedAt: 0, mailbox: { queuedEvents: 0, droppedEvents: 0 },
    actors: [actor({ name: 't2', kind: 'tracer', metrics: [
      { name: '9lives', value: 1 },
      { name: 'events_captured', value: 1, kind: 'counter' }, // would clash with autotracer_tracer_... no: allowed
      { name: 'triggers', value: 1, kind: 'counter' }, // clashes with autotracer_tracer_triggers_total
      { name: 'g', value: 1, labels: { host: 'x' } }, // host is the agent's label
      { name: 'fine_total', value: 2 }, // a gauge: _total is stripped
    ] })],
  };
  const metrics = new AgentMetrics({ status: () => status, host: 'h', region: '', defaultMetrics: false });
  const text = await metrics.render();
  assert.equal(value(text, 'autotracer_tracer_samples_rejected', { tracer: 't2' }), 3);
  assert.equal(value(text, 'autotracer_tracer_fine', { tracer: 't2' }), 2);
  assert.equal(value(text, 'autotracer_tracer_events_captured_total', { tracer: 't2' }), 1);
  assert.equal(parseExposition(text).get('autotracer_tracer_triggers_total')?.samples.length ?? 0, 1);
});
