// The real agent process (dist/src/cli/main.js run): it starts the HTTP server on
// 127.0.0.1, generates the API token into a 0600 file, serves /healthz and /readyz, and
// closes the API with the agent on SIGTERM (exit 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import { call, tempDir, waitFor } from './support.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('the agent serves the API and creates its token file 0600', async (t) => {
  const dir = tempDir(t);
  const tokenFile = join(dir, 'secrets', 'api-token');
  const config = join(dir, 'config.json');
  // Built-in tracers enabled by default are switched off: this test is about the API, and
  // an agent with no tracer must still serve it (and be ready).
  const tracers = Object.fromEntries(Object.keys(builtinTracers).map((name) => [name, { enabled: false }]));
  writeFileSync(config, JSON.stringify({ storage: { path: join(dir, 'lmdb'), fsync: 'os' }, http: { port: 0, tokenFile }, tracers }));
  const child = spawn(process.execPath, [main, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUTOTRACER_STORAGE_MODULE: '' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const base = await waitFor('the listening line', () => /http: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 20_000);
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  const token = readFileSync(tokenFile, 'utf8').trim();
  assert.ok(token.length >= 32);
  assert.equal((await call(base, 'GET', '/healthz')).status, 200);
  await waitFor('ready', async () => (await call(base, 'GET', '/readyz')).status === 200, 20_000);
  assert.equal((await call(base, 'GET', '/api/v1/tracers')).json().data.length, 0);
  // The generated token is the one the API accepts (404: no such tracer, after auth).
  assert.equal((await call(base, 'POST', '/api/v1/tracers/none/trigger', { token })).status, 404);
  assert.equal((await call(base, 'POST', '/api/v1/tracers/none/trigger', { token: `${token}x` })).status, 403);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out);
  await assert.rejects(call(base, 'GET', '/healthz'), /ECONNREFUSED/);
});
