// A slow subscriber (a real Writable that stops draining) loses its oldest documents,
// counted, and is told how many it lost; a fast one on the same hub gets everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { WatchHub } from '../../src/http/watch-hub.js';
import type { EventDocument } from '../../src/event/index.js';

function doc(n: number): EventDocument {
  return { hostname: 'h', region: '', uploaded_time: '', container_id: '', container_hostname: '', container_type: '', container_qos: '', tracer_name: 't', tracer_id: `id-${n}`, tracer_time: '', tracer_type: 'autotracing', capture_started: null, capture_ended: null, tracer_data: { n } };
}

test('drop-oldest per subscriber, counted, with a dropped notice', async () => {
  const hub = new WatchHub({ maxSubscribers: 2, bufferEvents: 4, keepAliveMs: 60_000 });
  let release: (() => void) | undefined;
  const slowChunks: string[] = [];
  // highWaterMark 1: the first write fills it; the callback is held until we release it.
  const slow = new Writable({ highWaterMark: 1, write(chunk: Buffer, _enc, cb) { slowChunks.push(chunk.toString()); release = cb; } });
  const fastChunks: string[] = [];
  const fast = new Writable({ write(chunk: Buffer, _enc, cb) { fastChunks.push(chunk.toString()); cb(); } });
  assert.ok(hub.subscribe(slow, { includeData: false }));
  assert.ok(hub.subscribe(fast, { includeData: true }));
  assert.equal(hub.subscribe(fast, { includeData: false }), undefined, 'third subscriber refused');
  for (let n = 0; n < 20; n++) hub.publish(doc(n));
  assert.equal(hub.counters.dropped, 16);
  assert.equal(fastChunks.filter((c) => c.startsWith('id: ')).length, 20);
  assert.match(fastChunks.find((c) => c.startsWith('id: id-0'))!, /"tracer_data":\{"n":0\}/);
  // Let the slow one drain: it gets a dropped notice, then the newest 4.
  for (let i = 0; i < 10 && release !== undefined; i++) {
    const r = release;
    release = undefined;
    r();
    await new Promise((res) => setImmediate(res));
  }
  const ids = slowChunks.filter((c) => c.startsWith('id: ')).map((c) => /^id: (\S+)/.exec(c)![1]);
  assert.deepEqual(ids, ['id-16', 'id-17', 'id-18', 'id-19']);
  assert.ok(slowChunks.some((c) => c === 'event: dropped\ndata: {"dropped":16}\n\n'));
  assert.ok(!slowChunks.some((c) => c.includes('tracer_data')));
  hub.close();
});
