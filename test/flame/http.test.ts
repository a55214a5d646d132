// GET /api/v1/events/:id/flame.svg and flame.html on the real HTTP server over a real
// Supervisor and LMDB storage actor (the set-up of test/http), with a fixture tracer that
// saves cpusys-shaped events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { call, fastRestart, startAgent } from '../http/support.js';
import { fixtureTotal } from './support.js';

const profilerModule = fileURLToPath(new URL('../fixtures/flame/profiler.js', import.meta.url));

test('flame.svg and flame.html of stored events', async (t) => {
  const agent = await startAgent(t, {}, [
    tracerSpec({ name: 'profiler', modulePath: profilerModule, restart: fastRestart, shutdownMs: 2000, killAfterMs: 1000 }),
  ]);
  const base = agent.server.url;
  for (const reason of ['folded', 'flamedata', 'none', 'bad']) {
    const r = await call(base, 'POST', '/api/v1/tracers/profiler/trigger', { token: agent.token, body: JSON.stringify({ reason, containerId: `c-${reason}` }) });
    assert.equal(r.status, 200, r.text);
  }
  const events = (await call(base, 'GET', '/api/v1/events?tracer=profiler&order=asc')).json().data as Array<{ tracer_id: string; container_id: string }>;
  const idOf = (reason: string): string => events.find((e) => e.container_id === `c-${reason}`)!.tracer_id;
  assert.equal(events.length, 4);

  for (const reason of ['folded', 'flamedata']) {
    const svg = await call(base, 'GET', `/api/v1/events/${idOf(reason)}/flame.svg`);
    assert.equal(svg.status, 200, svg.text);
    assert.equal(svg.headers['content-type'], 'image/svg+xml; charset=utf-8');
    assert.equal(Number(svg.headers['content-length']), Buffer.byteLength(svg.text));
    assert.match(String(svg.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(svg.headers['x-content-type-options'], 'nosniff');
    assert.match(svg.text, /^<\?xml /);
    assert.match(svg.text, new RegExp(`<text class="title"[^>]*>profiler · [^<]* · container c-${reason} · ${fixtureTotal()} samples</text>`));
    assert.ok((svg.text.match(/<g class="f /g) ?? []).length > 500);

    const html = await call(base, 'GET', `/api/v1/events/${idOf(reason)}/flame.html`);
    assert.equal(html.status, 200, html.text);
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(html.text, /^<!DOCTYPE html>/);
    assert.match(html.text, new RegExp(`<tr><th>tracer_id</th><td>${idOf(reason)}</td></tr>`));
    assert.match(html.text, /<svg [^>]*class="flame"/);
  }
  // Both sources of the same profile draw the same graph (the title differs only by container).
  const a = (await call(base, 'GET', `/api/v1/events/${idOf('folded')}/flame.svg`)).text;
  const b = (await call(base, 'GET', `/api/v1/events/${idOf('flamedata')}/flame.svg`)).text;
  assert.equal(a.slice(a.indexOf('<g class="frames">')), b.slice(b.indexOf('<g class="frames">')));

  // No profile: 404 FLAME_NO_PROFILE naming the tracer; unknown event: EVENT_NOT_FOUND;
  // a stored profile that cannot be read: 500 FLAME_BAD_PROFILE.
  for (const ext of ['svg', 'html']) {
    const none = await call(base, 'GET', `/api/v1/events/${idOf('none')}/flame.${ext}`);
    assert.equal(none.status, 404, none.text);
    assert.match(String(none.headers['content-type']), /^application\/json/);
    assert.equal(none.json().error.code, 'FLAME_NO_PROFILE');
    assert.match(none.json().error.message, /tracer profiler/);
    const missing = await call(base, 'GET', `/api/v1/events/0000000000000000-nope/flame.${ext}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json().error.code, 'EVENT_NOT_FOUND');
    const tooLong = await call(base, 'GET', `/api/v1/events/${'x'.repeat(200)}/flame.${ext}`);
    assert.equal(tooLong.json().error.code, 'EVENT_NOT_FOUND');
    assert.equal((await call(base, 'POST', `/api/v1/events/${idOf('folded')}/flame.${ext}`, { token: agent.token, body: '{}' })).status, 405);
    const bad = await call(base, 'GET', `/api/v1/events/${idOf('bad')}/flame.${ext}`);
    assert.equal(bad.status, 500);
    assert.equal(bad.json().error.code, 'FLAME_BAD_PROFILE');
    assert.match(bad.json().error.message, /folded line 1/);
  }
  // Other extensions are not routes; the event itself is still served as JSON.
  assert.equal((await call(base, 'GET', `/api/v1/events/${idOf('folded')}/flame.png`)).json().error.code, 'NOT_FOUND');
  assert.equal((await call(base, 'GET', `/api/v1/events/${idOf('folded')}`)).json().data.tracer_id, idOf('folded'));
});
