// Every endpoint of the HTTP API on a real Supervisor (real LMDB storage actor, the saver
// fixture tracer in a worker thread) and a real HTTP server on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { conventionViolations, parseExposition } from '../metrics/exposition.js';
import { call, fastRestart, openWatch, saverModule, startAgent, unavailableModule, waitFor } from './support.js';

test('health, readiness, tracers, trigger, events and SSE watch', async (t) => {
  const agent = await startAgent(t, {}, [
    tracerSpec({ name: 'saver', modulePath: saverModule, restart: fastRestart, metricsIntervalMs: 100, shutdownMs: 2000, killAfterMs: 1000 }),
    tracerSpec({ name: 'nokernel', modulePath: unavailableModule, restart: fastRestart, shutdownMs: 2000, killAfterMs: 1000 }),
  ]);
  const base = agent.server.url;
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);

  const health = await call(base, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.equal(health.json().data.status, 'ok');

  // Ready: storage running and the HTTP server up (tracers are not part of readiness).
  const ready = await waitFor('ready', async () => {
    const r = await call(base, 'GET', '/readyz');
    return r.status === 200 ? r : undefined;
  });
  assert.equal(ready.json().data.ready, true);

  // Readiness is storage + HTTP only: each tracer's state settles on its own (nokernel turns
  // 'unavailable' once its start() has thrown).
  type TracerRow = { name: string; state: string; stateReason: string | null };
  const tracers = await waitFor('the tracers to settle', async () => {
    const rows = (await call(base, 'GET', '/api/v1/tracers')).json().data as TracerRow[];
    return rows.every((x) => x.state !== 'starting' && x.state !== 'stopped') && rows.find((x) => x.name === 'nokernel')?.state !== 'running' ? rows : undefined;
  });
  assert.deepEqual(tracers.map((x) => x.name).sort(), ['nokernel', 'saver']);
  assert.equal(tracers.find((x) => x.name === 'nokernel')?.state, 'unavailable');
  assert.match(tracers.find((x) => x.name === 'nokernel')?.stateReason ?? '', /sched_imaginary/);
  assert.equal((await call(base, 'GET', '/api/v1/tracers/saver')).json().data.state, 'running');
  assert.equal((await call(base, 'GET', '/api/v1/tracers/nope')).json().error.code, 'UNKNOWN_TRACER');

  // Subscribe first, then trigger: the stored document arrives on the stream.
  const watch = await openWatch(base, '?tracer=saver&container=c-1');
  assert.ok('frames' in watch);
  t.after(() => watch.close());
  const other = await openWatch(base, '?tracer=other');
  assert.ok('frames' in other);
  t.after(() => other.close());

  const trig = await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token, body: JSON.stringify({ containerId: 'c-1', reason: 'api-test' }) });
  assert.equal(trig.status, 200, trig.text);
  assert.deepEqual(trig.json().data, { tracer: 'saver', triggered: true });
  // A trigger for another container must not reach the container-filtered stream.
  assert.equal((await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token, body: JSON.stringify({ containerId: 'c-2' }) })).status, 200);

  const frame = await waitFor('SSE event', () => watch.frames.find((f) => f.event === 'event'));
  const doc = JSON.parse(frame.data);
  assert.equal(doc.tracer_name, 'saver');
  assert.equal(doc.container_id, 'c-1');
  assert.equal(doc.tracer_type, 'manual');
  assert.equal(doc.tracer_data, undefined, 'tracer_data is left out unless data=true');
  assert.equal(frame.id, doc.tracer_id);
  assert.ok(watch.comments.includes('watching'));

  // Query and fetch by id.
  const list = await call(base, 'GET', '/api/v1/events?tracer=saver&order=asc&limit=10');
  assert.equal(list.status, 200);
  const docs = list.json().data as Array<{ tracer_id: string; container_id: string; tracer_data: { reason: string | null } }>;
  assert.equal(docs.length, 2);
  assert.deepEqual(docs.map((d) => d.container_id), ['c-1', 'c-2']);
  assert.equal(docs[0]?.tracer_data.reason, 'api-test');
  const byContainer = (await call(base, 'GET', '/api/v1/events?container=c-2')).json().data as unknown[];
  assert.equal(byContainer.length, 1);
  const page = await call(base, 'GET', '/api/v1/events?tracer=saver&limit=1');
  assert.equal(page.json().data.length, 1);
  assert.equal(typeof page.json().cursor, 'string');
  const next = await call(base, 'GET', `/api/v1/events?tracer=saver&limit=1&cursor=${page.json().cursor}`);
  assert.notEqual(next.json().data[0].tracer_id, page.json().data[0].tracer_id);
  const one = await call(base, 'GET', `/api/v1/events/${doc.tracer_id}`);
  assert.equal(one.status, 200);
  assert.equal(one.json().data.tracer_id, doc.tracer_id);
  assert.equal(one.json().data.tracer_data.reason, 'api-test');
  const none = await call(base, 'GET', '/api/v1/events/0000000000000000-nope');
  assert.equal(none.status, 404);
  assert.equal(none.json().error.code, 'EVENT_NOT_FOUND');
  // The stream filtered on another tracer saw nothing but comments.
  assert.equal(other.frames.length, 0);
  // Time bounds: nothing in the far past.
  assert.deepEqual((await call(base, 'GET', '/api/v1/events?from=0&to=1000')).json().data, []);
  assert.equal((await call(base, 'GET', '/api/v1/events?from=2020-01-01T00:00:00Z')).json().data.length, 2);

  // /metrics: parsed, conventions, required names, and the trigger counted.
  const m = await waitFor('saver samples', async () => {
    const r = await call(base, 'GET', '/metrics');
    return r.text.includes('autotracer_tracer_saver_saved_total') ? r : undefined;
  });
  assert.match(String(m.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const fams = parseExposition(m.text);
  // prom-client 15's default metrics name three gauges *_total; they are not ours to rename.
  const promClientGaugesNamedTotal = ['autotracer_nodejs_active_resources_total', 'autotracer_nodejs_active_handles_total', 'autotracer_nodejs_active_requests_total'];
  const violations = [...fams.values()].filter((f) => !promClientGaugesNamedTotal.includes(f.name)).flatMap((f) => conventionViolations(f));
  assert.deepEqual(violations, []);
  for (const name of [
    'autotracer_actor_state', 'autotracer_actor_restarts_total', 'autotracer_actor_heartbeat_age_seconds', 'autotracer_actor_cpu_seconds_total',
    'autotracer_actor_event_loop_utilization_ratio', 'autotracer_events_captured_total', 'autotracer_events_stored_total', 'autotracer_events_dropped_total',
    'autotracer_storage_mailbox_events', 'autotracer_storage_write_latency_seconds', 'autotracer_storage_lmdb_size_bytes', 'autotracer_es_backlog_events',
    'autotracer_es_lag_seconds', 'autotracer_es_shipped_events_total', 'autotracer_es_retried_events_total', 'autotracer_es_dead_lettered_events_total',
    'autotracer_storage_evicted_unshipped_events_total', 'autotracer_tracer_triggers_total', 'autotracer_tracer_manual_triggers_total',
    'autotracer_tracer_saver_saved_total', 'autotracer_tracer_saver_queue_depth', 'autotracer_http_requests_total', 'autotracer_process_resident_memory_bytes',
  ]) assert.ok(fams.has(name), `missing ${name}`);
  const sample = (name: string, labels: Record<string, string>) => fams.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(sample('autotracer_tracer_manual_triggers_total', { tracer: 'saver', result: 'ok' })?.value, 2);
  assert.equal(sample('autotracer_events_stored_total', { tracer: 'saver' })?.value, 2);
  assert.equal(sample('autotracer_actor_state', { actor: 'nokernel', state: 'unavailable' })?.value, 1);
  assert.equal(sample('autotracer_tracer_saver_queue_depth', { tracer: 'saver', device: 'sda' })?.value, 3);
  for (const s of fams.get('autotracer_actor_state')!.samples) {
    assert.equal(s.labels.host, 'test-host');
    assert.equal(s.labels.region, 'test-region');
  }
  // The storage actor reports every second: wait for its first report.
  await waitFor('an LMDB size', async () => /autotracer_storage_lmdb_size_bytes\{[^}]*\} [1-9]/.test((await call(base, 'GET', '/metrics')).text));
});

test('auth, limits and error envelopes', async (t) => {
  const agent = await startAgent(t, { maxBodyBytes: 256, watch: { maxSubscribers: 2, bufferEvents: 16, keepAliveMs: 200 } });
  const base = agent.server.url;
  const trigger = '/api/v1/tracers/saver/trigger';
  const expectError = async (reply: Promise<import('./support.js').Reply>, status: number, code: string) => {
    const r = await reply;
    assert.equal(r.status, status, r.text);
    assert.equal(r.json().error.code, code);
    assert.equal(typeof r.json().error.message, 'string');
    return r;
  };

  const noAuth = await expectError(call(base, 'POST', trigger, { body: '{}' }), 401, 'UNAUTHORIZED');
  assert.match(String(noAuth.headers['www-authenticate']), /^Bearer/);
  await expectError(call(base, 'POST', trigger, { body: '{}', headers: { authorization: 'Basic dXNlcjpwdw==' } }), 401, 'UNAUTHORIZED');
  await expectError(call(base, 'POST', trigger, { body: '{}', token: 'wrong-token-0123456789abcdef' }), 403, 'FORBIDDEN');
  await expectError(call(base, 'PUT', '/api/v1/tracers/saver/stop', {}), 401, 'UNAUTHORIZED');
  // Unknown tracer: 404 only once authenticated (no tracer-name probing without a token).
  await expectError(call(base, 'POST', '/api/v1/tracers/ghost/trigger', { token: agent.token, body: '{}' }), 404, 'UNKNOWN_TRACER');
  await expectError(call(base, 'PUT', '/api/v1/tracers/ghost/start', { token: agent.token }), 404, 'UNKNOWN_TRACER');
  await expectError(call(base, 'PUT', '/api/v1/tracers/ghost/stop', { token: agent.token }), 404, 'UNKNOWN_TRACER');
  await expectError(call(base, 'PUT', '/api/v1/tracers/saver/start', { token: agent.token }), 409, 'TRACER_ALREADY_RUNNING');

  // Bad bodies.
  await expectError(call(base, 'POST', trigger, { token: agent.token, body: '{not json' }), 400, 'BAD_JSON');
  await expectError(call(base, 'POST', trigger, { token: agent.token, body: '[1]' }), 400, 'BAD_JSON');
  await expectError(call(base, 'POST', trigger, { token: agent.token, body: '{"containerId": 5}' }), 400, 'BAD_REQUEST');
  await expectError(call(base, 'POST', trigger, { token: agent.token, body: '{"contianerId": "x"}' }), 400, 'BAD_REQUEST');
  await expectError(call(base, 'POST', trigger, { token: agent.token, body: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  // Size limit: declared and chunked.
  await expectError(call(base, 'POST', trigger, { token: agent.token, body: JSON.stringify({ reason: 'x'.repeat(1000) }) }), 413, 'PAYLOAD_TOO_LARGE');
  await expectError(call(base, 'POST', trigger, { token: agent.token, body: JSON.stringify({ reason: 'x'.repeat(1000) }), headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
  await expectError(call(base, 'GET', `/api/v1/events?tracer=${'a'.repeat(9000)}`), 414, 'URI_TOO_LONG');

  // Bad query parameters, unknown paths, wrong methods.
  await expectError(call(base, 'GET', '/api/v1/events?limit=0'), 400, 'BAD_PARAM');
  await expectError(call(base, 'GET', '/api/v1/events?from=yesterday'), 400, 'BAD_PARAM');
  await expectError(call(base, 'GET', '/api/v1/events?order=up'), 400, 'BAD_PARAM');
  await expectError(call(base, 'GET', '/api/v1/events?colour=red'), 400, 'BAD_PARAM');
  await expectError(call(base, 'GET', '/api/v1/events?from=5&to=5'), 400, 'BAD_PARAM');
  await expectError(call(base, 'GET', '/api/v1/events?cursor=bm90LWEtY3Vyc29y'), 400, 'STORAGE_BAD_CURSOR');
  await expectError(call(base, 'GET', '/api/v1/nothing'), 404, 'NOT_FOUND');
  const wrong = await expectError(call(base, 'GET', trigger), 405, 'METHOD_NOT_ALLOWED');
  assert.equal(wrong.headers.allow, 'POST');
  await expectError(call(base, 'DELETE', '/metrics'), 405, 'METHOD_NOT_ALLOWED');
  await expectError(call(base, 'GET', '/api/v1/events/watch?data=maybe'), 400, 'BAD_PARAM');

  // The trigger works with the right token and an empty body.
  assert.equal((await call(base, 'POST', trigger, { token: agent.token })).status, 200);

  // SSE subscriber cap: the third stream is refused with 429; keep-alive comments flow.
  const a = await openWatch(base);
  const b = await openWatch(base);
  assert.ok('frames' in a && 'frames' in b);
  t.after(() => {
    a.close();
    b.close();
  });
  const c = await openWatch(base);
  assert.ok('status' in c);
  assert.equal(c.status, 429);
  assert.equal(JSON.parse(c.body).error.code, 'TOO_MANY_SUBSCRIBERS');
  await waitFor('keep-alive ping', () => a.comments.includes('ping'));
  // Closing one frees a slot.
  a.close();
  const d = await waitFor('a free slot', async () => {
    const s = await openWatch(base);
    return 'frames' in s ? s : undefined;
  });
  t.after(() => d.close());
  const metrics = parseExposition((await call(base, 'GET', '/metrics')).text);
  assert.ok((metrics.get('autotracer_http_watch_refused_total')?.samples[0]?.value ?? 0) >= 1);
  assert.ok(metrics.get('autotracer_http_requests_total')?.samples.some((s) => s.labels.code === '401' && s.labels.route === '/api/v1/tracers/:name/trigger'));
});

test('counters of a tracer stay monotonic across its restart', async (t) => {
  const agent = await startAgent(t);
  const base = agent.server.url;
  const saved = async () => {
    const text = (await call(base, 'GET', '/metrics')).text;
    if (/Nan/.test(text)) console.error(text.split('\n').filter((l) => /Nan/.test(l)));
    const fams = parseExposition(text);
    return fams.get('autotracer_tracer_saver_saved_total')?.samples.find((s) => s.labels.tracer === 'saver')?.value;
  };
  for (let i = 0; i < 3; i++) assert.equal((await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token })).status, 200);
  await waitFor('saved = 3', async () => (await saved()) === 3);
  assert.equal((await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token, body: '{"reason":"crash"}' })).status, 200);
  await waitFor('a restart', () => agent.supervisor.tracerStatus('saver').restarts === 1 && agent.supervisor.tracerStatus('saver').state === 'running');
  assert.equal((await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token })).status, 200);
  // The new instance counts from 0 again (its update() says 1); the exported counter says 4.
  await waitFor('saved = 4 after the restart', async () => (await saved()) === 4);
  const last = (await call(base, 'GET', '/metrics')).text;
  if (/Nan/.test(last)) console.error(last.split('\n').filter((l) => /Nan/.test(l)));
  const fams = parseExposition(last);
  const restarts = fams.get('autotracer_actor_restarts_total')?.samples.find((s) => s.labels.actor === 'saver' && s.labels.reason === 'uncaught-exception');
  assert.equal(restarts?.value, 1);
});
