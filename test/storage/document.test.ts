import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDocumentHead, documentJson, rfc3339, validateEventInput, type DocumentContext } from '../../src/storage/document.js';
import { eventDataJson, type EventDocument, type EventInput } from '../../src/event/index.js';
import { formatTracerId, newHostTag, parseTracerId } from '../../src/storage/ids.js';
import { dailyIndexName, indexTemplateBody } from '../../src/storage/es-index.js';
import { Backoff } from '../../src/storage/backoff.js';
import { storageConfigSchema } from '../../src/storage/config.js';

/** The document as the store writes it (and a reader gets it back). */
function storedDocument(input: EventInput, ctx: DocumentContext): EventDocument {
  return JSON.parse(documentJson(buildDocumentHead(input, ctx), input.dataJson)) as EventDocument;
}

test('the event document has exactly HUATUO\'s snake_case keys', () => {
  const doc = storedDocument(
    { tracerName: 'cpusys', tracerType: 'autotracing', time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), container: { id: 'c1', hostname: 'pod-a', type: 'normal', qos: 'burstable' }, dataJson: eventDataJson({ a: 1 }) },
    { hostname: 'h1', region: 'r1', storedMs: Date.UTC(2026, 0, 2, 3, 4, 6, 7), tracerId: 'id-1' },
  );
  assert.deepEqual(Object.keys(doc).sort(), [
    'capture_ended', 'capture_started', 'container_hostname', 'container_id', 'container_qos', 'container_type', 'hostname', 'region',
    'tracer_data', 'tracer_id', 'tracer_name', 'tracer_time', 'tracer_type', 'uploaded_time',
  ]);
  assert.deepEqual(doc, {
    hostname: 'h1',
    region: 'r1',
    uploaded_time: '2026-01-02T03:04:06.007Z',
    container_id: 'c1',
    container_hostname: 'pod-a',
    container_type: 'normal',
    container_qos: 'burstable',
    tracer_name: 'cpusys',
    tracer_id: 'id-1',
    tracer_time: '2026-01-02T03:04:05.006Z',
    tracer_type: 'autotracing',
    capture_started: null,
    capture_ended: null,
    tracer_data: { a: 1 },
  });
});

test('tracer_time is the detection time; the capture window is capture_started / capture_ended (issue #14 item 5)', () => {
  const detected = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
  const doc = storedDocument(
    { tracerName: 'waitrate', tracerType: 'autotracing', time: detected, captureStarted: detected + 12, captureEnded: detected + 15_020, dataJson: '{}' },
    { hostname: 'h1', region: 'r1', storedMs: detected + 15_100, tracerId: 'id-2' },
  );
  assert.equal(doc.tracer_time, '2026-01-02T03:04:05.000Z');
  assert.equal(doc.capture_started, '2026-01-02T03:04:05.012Z');
  assert.equal(doc.capture_ended, '2026-01-02T03:04:20.020Z');
  assert.equal(doc.uploaded_time, '2026-01-02T03:04:20.100Z', 'uploaded_time: when the event was stored locally');
  const keys = Object.keys(doc);
  assert.deepEqual(keys.slice(keys.indexOf('tracer_time')), ['tracer_time', 'tracer_type', 'capture_started', 'capture_ended', 'tracer_data']);
  assert.deepEqual(Object.keys(indexTemplateBody('autotracer').template.mappings.properties).filter((k) => k.startsWith('capture_')), ['capture_started', 'capture_ended']);
  const ok = { tracerName: 'x', tracerType: 'autotracing', time: 1, dataJson: '1' };
  assert.doesNotThrow(() => validateEventInput({ ...ok, captureStarted: 2, captureEnded: 3 }, 0));
  for (const bad of [{ captureStarted: 2 }, { captureEnded: 3 }, { captureStarted: 5, captureEnded: 3 }, { captureStarted: 'x', captureEnded: 3 }]) {
    assert.throws(() => validateEventInput({ ...ok, ...bad }, 0), { code: 'STORAGE_INVALID_EVENT' }, JSON.stringify(bad));
  }
});

test('missing container and data still give every key', () => {
  const doc = storedDocument({ tracerName: 't', tracerType: 'event', time: 0, dataJson: eventDataJson(undefined) }, { hostname: 'h', region: '', storedMs: 0, tracerId: 'x' });
  assert.equal(doc.container_id, '');
  assert.equal(doc.container_qos, '');
  assert.equal(doc.tracer_data, null);
  assert.equal(Object.keys(JSON.parse(JSON.stringify(doc)) as object).length, 14);
  assert.equal(doc.capture_started, null, 'no capture: null, so the key is always there');
});

test('RFC 3339 with milliseconds', () => {
  assert.match(rfc3339(Date.now()), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});

test('invalid inputs are rejected with STORAGE_INVALID_EVENT', () => {
  const ok = { tracerName: 'x', tracerType: 'manual', time: 1, dataJson: '1' };
  for (const bad of [
    null,
    {},
    { ...ok, tracerType: 'auto' },
    { ...ok, time: 'now' },
    { ...ok, container: { id: 3 } },
    { ...ok, dataJson: undefined },
    { ...ok, dataJson: '' },
    { ...ok, dataJson: { a: 1 } },
    { ...ok, tracerName: 'n'.repeat(257) },
    { ...ok, container: { id: 'c'.repeat(513) } },
  ]) {
    assert.throws(() => validateEventInput(bad, 0), (e: { code?: string }) => e.code === 'STORAGE_INVALID_EVENT', JSON.stringify(bad)?.slice(0, 80));
  }
  validateEventInput(ok, 0);
});

test('the stored JSON is exactly JSON.stringify of the document, tracer_data last', () => {
  const cases: unknown[] = [{ a: 1, s: 'quote " and \\ and \u2028 and ü' }, [1, 2], 'text', 0, null, undefined, { nested: { deep: [{ x: true }] } }];
  for (const data of cases) {
    const input = { tracerName: 'cpusys', tracerType: 'event' as const, time: 5, container: { id: 'c' }, dataJson: eventDataJson(data) };
    const ctx = { hostname: 'h', region: 'r', storedMs: 6, tracerId: 'id' };
    const json = documentJson(buildDocumentHead(input, ctx), input.dataJson);
    assert.equal(json, JSON.stringify({ ...buildDocumentHead(input, ctx), tracer_data: data === undefined ? null : data }));
    assert.deepEqual(Object.keys(JSON.parse(json) as object).at(-1), 'tracer_data');
  }
});

test('data that JSON cannot carry is refused where it is serialised', () => {
  assert.throws(() => eventDataJson({ n: 1n }), TypeError);
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  assert.throws(() => eventDataJson(cyclic), TypeError);
});

test('tracer ids sort by store time then sequence and round-trip', () => {
  const tag = newHostTag();
  assert.match(tag, /^[0-9a-f]{8}$/);
  const ids = [formatTracerId(999, 10, tag), formatTracerId(1000, 2, tag), formatTracerId(1000, 11, tag), formatTracerId(10_000, 3, tag)];
  assert.deepEqual([...ids].sort(), ids);
  assert.deepEqual(parseTracerId(ids[2] as string), { storedMs: 1000, seq: 11, hostTag: tag });
  assert.equal(parseTracerId('nope'), undefined);
});

test('daily index by tracer_time in UTC and a template for it', () => {
  assert.equal(dailyIndexName('autotracer', '2026-03-09T23:59:59.999Z'), 'autotracer-2026.03.09');
  const body = indexTemplateBody('at');
  assert.deepEqual(body.index_patterns, ['at-*']);
  assert.equal(body.template.mappings.properties.tracer_time.type, 'date');
  assert.equal(body.template.mappings.properties.tracer_id.type, 'keyword');
});

test('backoff doubles from initial to max with jitter in [d/2, d]', () => {
  const lo = new Backoff(500, 30_000, () => 0);
  const hi = new Backoff(500, 30_000, () => 1);
  const los = Array.from({ length: 9 }, () => lo.next());
  const his = Array.from({ length: 9 }, () => hi.next());
  assert.deepEqual(his, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.deepEqual(los, his.map((d) => d / 2));
});

test('config: defaults from {} and strict keys', () => {
  const c = storageConfigSchema.parse({});
  assert.equal(c.retention.maxAgeDays, 7);
  assert.equal(c.retention.maxSizeBytes, 1024 ** 3);
  assert.equal(c.elasticsearch, undefined);
  const es = storageConfigSchema.parse({ elasticsearch: { urls: ['http://127.0.0.1:9200'] } }).elasticsearch;
  assert.equal(es?.maxBytesPerRequest, 5 * 1024 * 1024);
  assert.equal(es?.maxLatencyMs, 1000);
  assert.deepEqual(es?.backoff, { initialMs: 500, maxMs: 30_000 });
  assert.throws(() => storageConfigSchema.parse({ pth: '/x' }));
  assert.throws(() => storageConfigSchema.parse({ elasticsearch: { urls: ['http://x'], indexprefix: 'a' } }));
});
