// Hostile clients on real loopback sockets (issue #12, docs/faults.md "HTTP API and CLI"):
// DNS rebinding (Host header), HEAD, idle connections past the headers timeout, a request
// in flight at shutdown, and a trigger that needs a container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { call, fastRestart, saverModule, startAgent } from './support.js';

test('a Host header that is not a name of the agent gets 421 (DNS rebinding); loopback, IP literals and allowedHosts pass', async (t) => {
  const { server } = await startAgent(t, { allowedHosts: ['agent.internal'] });
  const base = server.url;
  const port = server.address.port;
  for (const path of ['/api/v1/events', '/api/v1/tracers', '/metrics', '/healthz']) {
    const res = await call(base, 'GET', path, { headers: { host: `rebind.attacker.example:${port}` } });
    assert.equal(res.status, 421, `${path}: ${res.text}`);
    assert.equal(res.json().error.code, 'HOST_NOT_ALLOWED');
    assert.match(res.json().error.message, /http\.allowedHosts/);
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `AGENT.internal:${port}`, 'agent.internal', `10.1.2.3:${port}`]) {
    assert.equal((await call(base, 'GET', '/healthz', { headers: { host } })).status, 200, host);
  }
  // Not fooled by a loopback-looking prefix or suffix.
  for (const host of ['localhost.attacker.example', '127.0.0.1.nip.io', 'agent.internal.attacker.example']) {
    assert.equal((await call(base, 'GET', '/healthz', { headers: { host } })).status, 421, host);
  }
});

test('HEAD answers like GET without a body; the Allow header lists HEAD', async (t) => {
  const { server } = await startAgent(t);
  for (const path of ['/healthz', '/metrics', '/api/v1/tracers', '/api/v1/events']) {
    const res = await call(server.url, 'HEAD', path);
    assert.equal(res.status, 200, path);
    assert.equal(res.text, '');
  }
  const res = await call(server.url, 'DELETE', '/healthz');
  assert.equal(res.status, 405);
  assert.equal(res.headers.allow, 'GET, HEAD');
});

/** Opens `count` sockets that never send a byte; resolves with each one's close time (ms after open). */
function idleSockets(port: number, count: number, limitMs: number): Promise<number[]> {
  const started = Date.now();
  return Promise.all(Array.from({ length: count }, () => new Promise<number>((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    // Read (and drop) the server's 408: an unread socket never sees the server's FIN.
    s.resume();
    const guard = setTimeout(() => s.destroy(), limitMs);
    s.once('close', () => {
      clearTimeout(guard);
      resolve(Date.now() - started);
    });
  })));
}

test('idle connections are closed at the configured headers timeout (not ~30 s later)', async (t) => {
  const { server } = await startAgent(t, { headersTimeoutMs: 2000 });
  const closedAfter = await idleSockets(server.address.port, 20, 20_000);
  const worst = Math.max(...closedAfter);
  const best = Math.min(...closedAfter);
  console.error(`# headers timeout 2000 ms: idle sockets closed after ${best}..${worst} ms`);
  assert.ok(best >= 1500, `closed too early: ${best} ms`);
  assert.ok(worst <= 5000, `closed after ${worst} ms, the configured headers timeout is 2000 ms`);
});

test('at the connection cap the oldest idle connection makes room; authorized requests still get in', async (t) => {
  const { server, token } = await startAgent(t, { maxConnections: 32, headersTimeoutMs: 2000 });
  assert.equal(server.maxConnections, 32);
  const port = server.address.port;
  // A client's keep-alive connection (as fetch pools them) must not be cut by the flood: the
  // silent sockets go first. Cutting it races with the client's next request (a reset).
  const keepAlive = connect(port, '127.0.0.1');
  let keepAliveText = '';
  let keepAliveClosed = false;
  keepAlive.on('data', (d: Buffer) => (keepAliveText += d.toString()));
  keepAlive.on('close', () => (keepAliveClosed = true));
  keepAlive.on('error', () => undefined);
  t.after(() => keepAlive.destroy());
  const ask = async (): Promise<void> => {
    const before = keepAliveText.length;
    keepAlive.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const deadline = Date.now() + 5000;
    while (!/HTTP\/1\.1 200[\s\S]*"status":"ok"/.test(keepAliveText.slice(before)) && !keepAliveClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  await ask();
  // 300 silent sockets, ten times the cap, held until the server closes them.
  const flood = idleSockets(port, 300, 30_000);
  await new Promise((r) => setTimeout(r, 500));
  const started = Date.now();
  assert.equal(keepAliveClosed, false, 'the idle keep-alive connection was evicted before the silent ones');
  await ask();
  assert.equal((keepAliveText.match(/HTTP\/1\.1 200/g) ?? []).length, 2, 'the keep-alive connection served its second request');
  assert.equal((await call(server.url, 'GET', '/healthz')).status, 200);
  const trig = await call(server.url, 'POST', '/api/v1/tracers/saver/trigger', { token, body: '{"reason":"flood"}' });
  assert.equal(trig.status, 200, trig.text);
  console.error(`# healthz + trigger during a 300-socket flood at cap 32: ${Date.now() - started} ms`);
  const metrics = (await call(server.url, 'GET', '/metrics')).text;
  const evicted = Number(/^autotracer_http_connections_evicted_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
  assert.ok(evicted >= 300 - 32, `evicted ${evicted}`);
  const open = Number(/^autotracer_http_open_connections\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
  assert.ok(open <= 32, `open connections ${open}`);
  // The survivors go at the headers timeout: every socket is closed well before the 30 s guard.
  const closedAfter = await flood;
  assert.ok(Math.max(...closedAfter) < 10_000, `the last idle socket closed after ${Math.max(...closedAfter)} ms`);
});

test('a request in flight at shutdown gets 503 SHUTTING_DOWN, not a connection reset', async (t) => {
  const { server, token } = await startAgent(t);
  const pending = call(server.url, 'POST', '/api/v1/tracers/saver/trigger', { token, body: '{"reason":"slow"}' });
  await new Promise((r) => setTimeout(r, 300));
  await server.close(300);
  const res = await pending;
  assert.equal(res.status, 503);
  assert.equal(res.json().error.code, 'SHUTTING_DOWN');
  assert.match(res.json().error.message, /shut down before this request finished/);
});

const dloadModule = fileURLToPath(new URL('../../src/actors/tracers/dload/index.js', import.meta.url));

test('triggering a tracer that needs a container without one is a 400 naming --container, not a 500', async (t) => {
  const { server, token } = await startAgent(t, {}, [
    tracerSpec({ name: 'dload', modulePath: dloadModule, restart: fastRestart, shutdownMs: 2000, killAfterMs: 1000 }),
    tracerSpec({ name: 'saver', modulePath: saverModule, restart: fastRestart, shutdownMs: 2000, killAfterMs: 1000 }),
  ]);
  const res = await call(server.url, 'POST', '/api/v1/tracers/dload/trigger', { token, body: '{}' });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json().error.code, 'TRACER_NEEDS_CONTAINER');
  assert.match(res.json().error.message, /needs --container <id>/);
  const unknown = await call(server.url, 'POST', '/api/v1/tracers/dload/trigger', { token, body: '{"containerId":"no-such-container"}' });
  assert.equal(unknown.status, 404, unknown.text);
  assert.equal(unknown.json().error.code, 'UNKNOWN_CONTAINER');
});

test('listings leave profiles out by default, keep to the page byte budget, and /healthz answers while a big one streams', async (t) => {
  const { server, token } = await startAgent(t, { maxPageBytes: 2 * 1024 * 1024 });
  const base = server.url;
  for (let i = 0; i < 24; i++) {
    const res = await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token, body: '{"reason":"big:512"}' });
    assert.equal(res.status, 200, res.text);
  }
  const summary = await call(base, 'GET', '/api/v1/events?limit=100');
  const docs = summary.json().data;
  assert.equal(docs.length, 24);
  assert.ok(summary.text.length < 100_000, `summary listing is ${summary.text.length} bytes`);
  assert.deepEqual(docs[0].omitted_fields, ['tracer_data.folded', 'tracer_data.flamedata']);
  assert.equal(docs[0].tracer_data.folded, undefined);
  assert.equal(docs[0].tracer_data.reason, 'big');
  // The full document is one request away.
  const one = (await call(base, 'GET', `/api/v1/events/${docs[0].tracer_id}`)).json().data;
  assert.ok(one.tracer_data.folded.length >= 512 * 1024);

  // fields=full: pages end at the 2 MiB budget (plus at most one chunk), the cursor gets the rest.
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const res = await call(base, 'GET', `/api/v1/events?fields=full&limit=100${cursor !== undefined ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, res.text.slice(0, 200));
    assert.ok(res.text.length < 3 * 1024 * 1024, `page of ${res.text.length} bytes`);
    const body = res.json();
    for (const d of body.data) {
      assert.ok(!seen.has(d.tracer_id), 'a document came twice');
      seen.add(d.tracer_id);
    }
    cursor = body.cursor;
    pages++;
  } while (cursor !== undefined && pages < 50);
  assert.equal(seen.size, 24);
  assert.ok(pages >= 4, `${pages} pages for 12 MiB under a 2 MiB budget`);
  assert.equal((await call(base, 'GET', '/api/v1/events?fields=everything')).status, 400);
});

test('/healthz answers while a large full listing streams', async (t) => {
  const { server, token } = await startAgent(t, { maxPageBytes: 64 * 1024 * 1024 });
  const base = server.url;
  for (let i = 0; i < 24; i++) await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token, body: '{"reason":"big:1024"}' });
  let streaming = true;
  const listing = call(base, 'GET', '/api/v1/events?fields=full&limit=100').finally(() => (streaming = false));
  const latencies: number[] = [];
  while (streaming && latencies.length < 500) {
    const t0 = process.hrtime.bigint();
    assert.equal((await call(base, 'GET', '/healthz')).status, 200);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await new Promise((r) => setTimeout(r, 5));
  }
  const res = await listing;
  assert.equal(res.json().data.length, 24);
  const worst = Math.max(...latencies);
  console.error(`# /healthz during a ${(res.text.length / 2 ** 20).toFixed(0)} MiB listing: ${latencies.length} probes, worst ${worst.toFixed(1)} ms`);
  assert.ok(latencies.length >= 2, 'the listing ended before /healthz was probed twice');
  assert.ok(worst < 2000, `/healthz took ${worst.toFixed(0)} ms while a listing streamed`);
});
