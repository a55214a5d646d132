// The real agent process under a connection flood (issue #12 item 4): with `ulimit -n 512`,
// 2000 silent loopback connections must not take its file descriptors. It lowers its
// connection cap to a quarter of the fd limit, keeps answering /healthz and authorized
// requests, a BPF tracer (oom) keeps running without a restart, and the silent sockets are
// closed by the headers timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { cliMain, makeTempDir, removeDir, waitFor, writeConfig } from '../cli/support.js';
import { call } from './support.js';

const fdLimit = 512;
const floodSockets = 2000;

test('2000 idle connections against an agent with ulimit -n 512: fds bounded, API answers, tracer unharmed', async (t) => {
  const dir = makeTempDir('autotracer-flood-');
  t.after(() => removeDir(dir));
  const config = writeConfig(dir, { http: { maxConnections: 4096, headersTimeoutMs: 3000 }, tracers: { oom: { enabled: true } } });
  const child = spawn('bash', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, cliMain, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AUTOTRACER_STORAGE_MODULE: '' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const sockets: Socket[] = [];
  t.after(async () => {
    for (const s of sockets) s.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });

  const base = await waitFor('the listening line', () => /http: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]);
  const port = Number(new URL(base).port);
  await waitFor('ready', async () => (await call(base, 'GET', '/readyz')).status === 200, 30_000);
  assert.match(out, /http\.maxConnections 4096 lowered to 128 \(a quarter of the open-file limit 512\)/);
  const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
  // Readiness does not wait for tracers (storage + HTTP only): wait for the oom tracer itself.
  const oomBefore = await waitFor('the oom tracer to run', async () => {
    const data = (await call(base, 'GET', '/api/v1/tracers/oom')).json().data as { state: string; restarts: number };
    return data.state === 'running' ? data : undefined;
  }, 30_000);
  assert.equal(oomBefore.state, 'running', JSON.stringify(oomBefore));

  // The flood: silent sockets, opened 200 at a time; each one's close time is recorded.
  const started = Date.now();
  const closedAt: number[] = [];
  for (let batch = 0; batch < floodSockets / 200; batch++) {
    await Promise.all(Array.from({ length: 200 }, () => new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1');
      sockets.push(s);
      s.resume();
      s.on('error', () => undefined);
      s.once('close', () => closedAt.push(Date.now() - started));
      s.once('connect', () => resolve());
      s.once('close', () => resolve());
    })));
  }
  const fds = readdirSync(`/proc/${child.pid}/fd`).length;
  const healthStart = Date.now();
  const health = await call(base, 'GET', '/healthz');
  const healthMs = Date.now() - healthStart;
  const trig = await call(base, 'POST', '/api/v1/tracers/nope/trigger', { token, body: '{}' });
  const unauthorized = await call(base, 'POST', '/api/v1/tracers/nope/trigger', { body: '{}' });
  console.error(`# flood of ${floodSockets} sockets: agent fds ${fds}/${fdLimit}, /healthz ${healthMs} ms, ${closedAt.length} sockets already closed by the agent`);
  assert.equal(health.status, 200);
  assert.equal(trig.status, 404, 'an authorized request gets through (404: no such tracer, after auth)');
  assert.equal(unauthorized.status, 401);
  assert.ok(fds < fdLimit - 64, `the agent holds ${fds} fds of ${fdLimit}`);

  // Every silent socket is gone within the headers timeout (3 s) plus the 1 s check period.
  await waitFor('every flood socket closed', () => closedAt.length === floodSockets, 20_000);
  const last = Math.max(...closedAt);
  console.error(`# last flood socket closed ${last} ms after the flood began (headers timeout 3000 ms)`);
  assert.ok(last < 15_000, `the last idle socket closed after ${last} ms`);

  const oomAfter = (await call(base, 'GET', '/api/v1/tracers/oom')).json().data;
  assert.equal(oomAfter.state, 'running');
  assert.equal(oomAfter.restarts, 0, JSON.stringify(oomAfter));
  assert.doesNotMatch(out, /EMFILE|too many open files/i);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out);
});
