// The files in ops/ are checked against the code they describe: the systemd unit with
// systemd's own verifier, the Elasticsearch template against the mappings the shipper
// installs (es-index.ts), the ILM policy's shape, and every metric and label the Grafana
// dashboard queries against a real /metrics exposition rendered by AgentMetrics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentMetrics } from '../../src/metrics/agent-metrics.js';
import { repoRoot } from '../../src/paths.js';
import { indexTemplateBody, templateName } from '../../src/storage/es-index.js';
import { initialActorStatus, type AgentStatus } from '../../src/supervisor/status.js';
import { parseExposition } from '../metrics/exposition.js';

const read = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8');
const readJson = (rel: string): unknown => JSON.parse(read(rel));

describe('ops/systemd/autotracer.service', () => {
  const unit = read('ops/systemd/autotracer.service');
  const directives = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m !== null) directives.set(m[1]!, [...(directives.get(m[1]!) ?? []), m[2]!]);
  }
  const one = (k: string): string | undefined => directives.get(k)?.[0];

  it('passes systemd-analyze verify without warnings', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(repoRoot, 'ops/systemd/autotracer.service')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
  });

  it('runs the agent as root with the config file, restarts on failure, unlimited memlock', () => {
    assert.equal(one('Type'), 'simple');
    assert.equal(one('User'), 'root');
    assert.equal(one('Restart'), 'on-failure');
    assert.match(one('RestartSec') ?? '', /^\d+s?$/);
    assert.equal(one('LimitMEMLOCK'), 'infinity');
    assert.match(one('ExecStart') ?? '', /dist\/src\/cli\/main\.js run --config \/etc\/autotracer\/config\.json$/);
    assert.equal(one('RestartPreventExitStatus'), '2', 'a bad config (exit 2) must not restart-loop');
    // Hardening that would break the agent must stay off.
    for (const k of ['MemoryDenyWriteExecute', 'SystemCallFilter', 'ProtectProc', 'ProcSubset', 'PrivateUsers']) assert.equal(one(k), undefined, k);
    const caps = one('CapabilityBoundingSet') ?? '';
    for (const cap of ['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_ADMIN']) assert.ok(caps.includes(cap), cap);
    assert.match(one('ReadWritePaths') ?? '', /\/var\/lib\/autotracer/);
  });
});

describe('ops/elasticsearch', () => {
  const template = readJson('ops/elasticsearch/index-template.json') as {
    index_patterns: string[]; priority: number; template: { settings: Record<string, unknown>; mappings: unknown };
  };
  const policy = readJson('ops/elasticsearch/ilm-policy.json') as { policy: { phases: Record<string, { min_age?: string; actions: Record<string, unknown> }> } };
  const shipped = indexTemplateBody('autotracer');
  const ops = read('docs/ops.md');

  it('the template has exactly the mappings the shipper installs, for the same indices', () => {
    assert.deepEqual(template.template.mappings, shipped.template.mappings);
    assert.deepEqual(template.index_patterns, shipped.index_patterns);
  });

  it('it outranks the shipper\'s own template (which the agent re-puts at every start) and names the ILM policy', () => {
    assert.ok(template.priority > shipped.priority, `${template.priority} > ${shipped.priority}`);
    assert.equal(template.template.settings['index.lifecycle.name'], 'autotracer-events');
    // Installed under another name than the shipper's, or the agent would overwrite it.
    assert.ok(ops.includes('_index_template/autotracer-events-ops'));
    assert.notEqual('autotracer-events-ops', templateName('autotracer'));
    assert.ok(ops.includes('_ilm/policy/autotracer-events'));
  });

  it('the ILM policy keeps indices hot, then deletes them; no rollover (indices are daily)', () => {
    assert.deepEqual(Object.keys(policy.policy.phases).sort(), ['delete', 'hot']);
    assert.ok('delete' in policy.policy.phases.delete!.actions);
    assert.match(policy.policy.phases.delete!.min_age ?? '', /^\d+d$/);
    assert.doesNotMatch(JSON.stringify(policy), /rollover/);
  });
});

/** A real exposition from AgentMetrics: a tracer with BPF programs and restarts, and storage. */
async function realExposition(): Promise<ReturnType<typeof parseExposition>> {
  const tracer = {
    ...initialActorStatus('iotracing', 'tracer', 'thread'), state: 'running' as const, heartbeatAgeMs: 200, eventLoopUtilization: 0.05, cpuSeconds: 1.5,
    eventsSent: 3, eventsStored: 3, hits: 2, cooldownSkips: 1, metricsTime: Date.now(),
    bpfPrograms: [{ object: 'iotracing', program: 'on_issue', runCount: 100, runTimeNs: 50_000 }],
  };
  tracer.restartsByReason.hang = 1;
  const storageSamples = ['storage_eventsStored', 'storage_batchesWritten', 'storage_shipped', 'storage_retried', 'storage_deadLettered', 'storage_evicted',
    'storage_evictedBeforeShipped', 'storage_lmdbSizeBytes', 'storage_backlogEvents', 'storage_backlogAgeSeconds'].map((name, i) => ({ name, value: i + 1 }));
  const storage = { ...initialActorStatus('storage', 'storage', 'thread'), state: 'running' as const, heartbeatAgeMs: 100, metrics: storageSamples, metricsTime: Date.now() };
  const status: AgentStatus = { startedAt: Date.now(), actors: [tracer, storage], mailbox: { queuedEvents: 0, droppedEvents: 0 } };
  const metrics = new AgentMetrics({ status: () => status, host: 'h', region: 'r', defaultMetrics: true });
  metrics.observeStorageWriteLatency([0.0005, 0.002]);
  return parseExposition(await metrics.render());
}

interface Target { expr?: string; datasource?: { type?: string; uid?: string } }
interface Panel { type: string; title: string; datasource?: { type?: string; uid?: string }; targets?: Target[]; panels?: Panel[] }

describe('ops/grafana/autotracer.json', () => {
  const dashboard = readJson('ops/grafana/autotracer.json') as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: unknown }> } };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).filter((e): e is string => e !== undefined);

  it('is a dashboard with datasource variables for Prometheus and Elasticsearch, none hard-coded', () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.get('datasource')?.query, 'prometheus');
    assert.equal(vars.get('es_datasource')?.query, 'elasticsearch');
    for (const p of panels.filter((p) => p.type !== 'row')) {
      for (const ds of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) assert.match(ds?.uid ?? '', /^\$\{(datasource|es_datasource)\}$/, p.title);
    }
    const es = panels.filter((p) => p.datasource?.type === 'elasticsearch');
    const overTime = es.find((p) => p.type === 'timeseries');
    assert.ok(overTime, 'an Elasticsearch events-over-time panel');
    const agg = JSON.stringify(overTime.targets);
    assert.match(agg, /"field":"tracer_name"/);
    assert.match(agg, /"type":"date_histogram","field":"tracer_time"/);
  });

  it('covers the agent-health series the issue lists', () => {
    for (const name of ['autotracer_actor_state', 'autotracer_actor_restarts_total', 'autotracer_actor_heartbeat_age_seconds', 'autotracer_actor_cpu_seconds_total',
      'autotracer_actor_event_loop_utilization_ratio', 'autotracer_events_captured_total', 'autotracer_events_stored_total', 'autotracer_events_dropped_total',
      'autotracer_storage_write_latency_seconds_bucket', 'autotracer_es_backlog_events', 'autotracer_es_lag_seconds', 'autotracer_es_shipped_events_total',
      'autotracer_es_retried_events_total', 'autotracer_es_dead_lettered_events_total', 'autotracer_bpf_program_run_seconds_total']) {
      assert.ok(exprs.some((e) => new RegExp(`\\b${name}\\b`).test(e)), name);
    }
  });

  it('every metric in every PromQL expr exists in a real /metrics, with the labels it groups by', async () => {
    const families = await realExposition();
    const labelsOf = new Map<string, Set<string>>();
    for (const f of families.values()) {
      for (const s of f.samples) {
        const set = labelsOf.get(s.name) ?? new Set<string>();
        for (const k of Object.keys(s.labels)) set.add(k);
        labelsOf.set(s.name, set);
      }
    }
    // The variable query too: label_values(<metric>, host).
    const variableQueries = dashboard.templating.list
      .map((v) => (typeof v.query === 'string' ? v.query : (v.query as { query?: string }).query ?? ''))
      .filter((q) => q.startsWith('label_values('));
    for (const q of variableQueries) {
      const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(q) ?? [];
      assert.ok(metric !== undefined && labelsOf.get(metric)?.has(label!), q);
    }
    const all = [...exprs, ...variableQueries.map((q) => q.replace(/^label_values\((\w+), \w+\)$/, '$1'))];
    assert.ok(exprs.length >= 15, `${exprs.length} exprs`);
    for (const expr of all) {
      const names = [...expr.matchAll(/\bautotracer_[a-z0-9_]+\b/g)].map((m) => m[0]);
      for (const n of names) assert.ok(labelsOf.has(n), `${n} (in ${expr}) is not in /metrics`);
      const labels = new Set(names.flatMap((n) => [...(labelsOf.get(n) ?? [])]));
      for (const m of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const l of m[1]!.split(',').map((s) => s.trim())) assert.ok(labels.has(l), `label ${l} (in ${expr}) is on none of ${names.join(', ')}`);
      }
      for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
        for (const l of m[1]!.split(',').map((s) => s.split(/[=!~]/)[0]!.trim()).filter(Boolean)) assert.ok(labels.has(l), `selector label ${l} in ${expr}`);
      }
    }
  });
});
