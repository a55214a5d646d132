// PUT /api/v1/tracers/:name/start|stop on a real Supervisor, and the watch stream fed by
// the supervisor's 'stored' announcements: a subscriber gets exactly the documents stored
// after it subscribed, each once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, openWatch, startAgent, waitFor } from './support.js';

/** A watch stream whose subscription is live, with the ids of the documents it received. */
async function watch(base: string): Promise<{ ids: string[]; close(): void }> {
  const stream = await openWatch(base);
  if (!('frames' in stream)) throw new Error(`watch: HTTP ${stream.status}`);
  await stream.subscribed;
  return {
    get ids() {
      return stream.frames.flatMap((f) => (f.id !== undefined ? [f.id] : []));
    },
    close: () => stream.close(),
  };
}

test('PUT start/stop: 200 with the status, 409 for the wrong state, 404 unknown', async (t) => {
  const agent = await startAgent(t);
  const base = agent.server.url;
  const put = (path: string) => call(base, 'PUT', path, { token: agent.token });
  await waitFor('saver running', () => agent.supervisor.tracerStatus('saver').state === 'running');

  const stopped = await put('/api/v1/tracers/saver/stop');
  assert.equal(stopped.status, 200, stopped.text);
  assert.equal(stopped.json().data.state, 'stopped');
  assert.equal(stopped.json().data.running, false);
  assert.equal(stopped.json().data.lastExit.reason, 'stopped');
  const again = await put('/api/v1/tracers/saver/stop');
  assert.equal(again.status, 409);
  assert.equal(again.json().error.code, 'TRACER_NOT_RUNNING');
  // A stopped tracer cannot be triggered; it stays stopped (not restarted).
  const trig = await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token });
  assert.equal(trig.status, 409);
  assert.equal((await call(base, 'GET', '/api/v1/tracers/saver')).json().data.state, 'stopped');

  const started = await put('/api/v1/tracers/saver/start');
  assert.equal(started.status, 200, started.text);
  assert.equal(started.json().data.state, 'running');
  assert.equal(typeof started.json().data.pid, 'number');
  const twice = await put('/api/v1/tracers/saver/start');
  assert.equal(twice.status, 409);
  assert.equal(twice.json().error.code, 'TRACER_ALREADY_RUNNING');
  assert.equal((await put('/api/v1/tracers/ghost/start')).status, 404);
  assert.equal((await put('/api/v1/tracers/ghost/stop')).json().error.code, 'UNKNOWN_TRACER');
  assert.equal((await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token })).status, 200);
  // Without a token: 401, the state is untouched.
  assert.equal((await call(base, 'PUT', '/api/v1/tracers/saver/stop')).status, 401);
  assert.equal(agent.supervisor.tracerStatus('saver').state, 'running');
});

test('a watch subscriber receives exactly the documents stored after it subscribed, each once', async (t) => {
  const agent = await startAgent(t);
  const base = agent.server.url;
  const trigger = async (reason: string) => {
    const r = await call(base, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token, body: JSON.stringify({ reason }) });
    assert.equal(r.status, 200, r.text);
  };
  const storedIds: string[][] = [];
  agent.supervisor.on('tracer', (e) => {
    if (e.type === 'stored') storedIds.push(e.tracerIds);
  });
  // A first subscriber keeps the relay running, so documents stored before the second
  // one subscribes are being fetched and published around the moment it subscribes.
  const early = await watch(base);
  t.after(() => early.close());
  for (let i = 0; i < 3; i++) await trigger(`before-${i}`);
  const before = storedIds.flat();
  const late = await watch(base);
  t.after(() => late.close());
  const boundary = storedIds.flat().length;
  for (let i = 0; i < 5; i++) await trigger(`after-${i}`);
  const after = storedIds.flat().slice(boundary);
  assert.equal(before.length, 3);
  assert.equal(after.length, 5);

  await waitFor('late has five', () => late.ids.length >= 5);
  await waitFor('early has eight', () => early.ids.length >= 8);
  // Give a duplicate or a straggler time to show up before judging.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(late.ids, after, 'exactly the documents stored after subscribing, in order, once');
  assert.deepEqual(early.ids, [...before, ...after]);
  // And they are the stored documents: the ids are readable.
  const doc = await call(base, 'GET', `/api/v1/events/${after[4]}`);
  assert.equal(doc.json().data.tracer_data.reason, 'after-4');
});
