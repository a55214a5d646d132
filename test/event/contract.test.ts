// The event contract (issue #15, refactoring step): what a tracer hands over (EventInput,
// made by ctx.save() with eventDataJson), the size limit both sides enforce and the stored
// document's shape live in src/event/, which the tracer side (src/actors: runtime, tracer
// API, tracers) and storage both import. The tracer side does not reach into src/storage/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../../src/paths.js';
import { eventDataJson, MAX_EVENT_DATA_BYTES, oversizeJsonBytes, type ContainerRef, type EventDocument, type EventInput, type TracerType } from '../../src/event/index.js';

test('the contract: eventDataJson, the size limit and the types come from src/event', () => {
  assert.equal(eventDataJson({ a: 1, b: [2, 'x'] }), '{"a":1,"b":[2,"x"]}');
  assert.equal(eventDataJson(undefined), 'null', 'no data still gives the document its key');
  assert.throws(() => eventDataJson({ n: 1n }), TypeError, 'a BigInt is not JSON');
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(() => eventDataJson(cycle), TypeError, 'a cycle is not JSON');

  assert.equal(MAX_EVENT_DATA_BYTES, 8 * 1024 * 1024);
  assert.equal(oversizeJsonBytes('"small"'), undefined);
  assert.equal(oversizeJsonBytes('x'.repeat(MAX_EVENT_DATA_BYTES)), undefined, 'exactly the limit is accepted');
  assert.equal(oversizeJsonBytes('x'.repeat(MAX_EVENT_DATA_BYTES + 1)), MAX_EVENT_DATA_BYTES + 1);
  // 3 UTF-8 bytes per code unit: under the limit in characters, over it in bytes.
  const wide = '€'.repeat(Math.ceil(MAX_EVENT_DATA_BYTES / 3) + 1);
  assert.equal(oversizeJsonBytes(wide), Buffer.byteLength(wide, 'utf8'));

  const type: TracerType = 'autotracing';
  const container: ContainerRef = { id: 'c1', hostname: 'h', type: 'docker', qos: 'burstable' };
  const input: EventInput = { tracerName: 't', tracerType: type, time: 1, container, dataJson: eventDataJson({}) };
  const head: Omit<EventDocument, 'tracer_data'> = {
    hostname: 'h', region: '', uploaded_time: '', container_id: container.id, container_hostname: '', container_type: '', container_qos: '',
    tracer_name: input.tracerName, tracer_id: 'x', tracer_time: '', tracer_type: input.tracerType, capture_started: null, capture_ended: null,
  };
  assert.equal(head.tracer_name, 't');
});

/** Relative import specifiers of a TypeScript source (static and dynamic imports, re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) specs.push(m[1]!);
  return specs;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourcesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('nothing on the tracer side (src/actors: runtime, tracer API, every tracer) imports src/storage', () => {
  const storage = join(repoRoot, 'src', 'storage');
  const offenders: string[] = [];
  for (const file of sourcesUnder(join(repoRoot, 'src', 'actors'))) {
    for (const spec of importsOf(file)) {
      const target = resolve(dirname(file), spec);
      if (target === storage || target.startsWith(`${storage}/`)) offenders.push(`${relative(repoRoot, file)} → ${spec}`);
    }
  }
  assert.ok(sourcesUnder(join(repoRoot, 'src', 'actors')).length > 20, 'the scan sees the actor sources');
  assert.deepEqual(offenders, []);
});

test('src/event sits low: it imports nothing from storage, actors, supervisor, http or cli', () => {
  const above = ['storage', 'actors', 'supervisor', 'http', 'cli', 'capture', 'flame'].map((d) => join(repoRoot, 'src', d));
  const offenders: string[] = [];
  for (const file of sourcesUnder(join(repoRoot, 'src', 'event'))) {
    for (const spec of importsOf(file)) {
      const target = resolve(dirname(file), spec);
      if (above.some((d) => target === d || target.startsWith(`${d}/`))) offenders.push(`${relative(repoRoot, file)} → ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});
