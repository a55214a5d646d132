// The API token file: generated once (0600, in a 0700 directory created as needed), reused
// afterwards, and a path that cannot be created is a coded error, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateToken, tokensEqual } from '../../src/http/token.js';
import { call, startAgent, tempDir } from './support.js';

test('generates the token once, 0600 in a new 0700 directory, then reuses it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'a', 'b', 'api-token');
  const first = await loadOrCreateToken({ tokenFile });
  assert.ok(first.length >= 32);
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'a', 'b')).mode & 0o777, 0o700);
  assert.equal(await loadOrCreateToken({ tokenFile }), first);
  assert.ok(tokensEqual(first, first));
  assert.ok(!tokensEqual(first, `${first}x`));
});

test('a token file under /proc fails with HTTP_TOKEN_FILE instead of hanging', async () => {
  // Node's recursive mkdir never returns on a new directory under /proc.
  await assert.rejects(loadOrCreateToken({ tokenFile: '/proc/autotracer-test/api-token' }), { code: 'HTTP_TOKEN_FILE' });
});

test('a token file other users can read is refused with a chmod hint; group access is a warning', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'api-token');
  writeFileSync(file, 'a-token-of-enough-length-0123\n');
  chmodSync(file, 0o644);
  await assert.rejects(loadOrCreateToken({ tokenFile: file }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'HTTP_TOKEN_FILE');
    assert.match(err.message, /mode 0644: other users can read or change it; run `chmod 600/);
    return true;
  });
  chmodSync(file, 0o640);
  const warnings: string[] = [];
  assert.equal(await loadOrCreateToken({ tokenFile: file, warn: (m) => warnings.push(m) }), 'a-token-of-enough-length-0123');
  assert.match(warnings.join('\n'), /mode 0640: members of its group/);
  chmodSync(file, 0o600);
  warnings.length = 0;
  await loadOrCreateToken({ tokenFile: file, warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, []);
});

test('the agent with a 0644 token file says so and refuses state changes with 503 TOKEN_UNAVAILABLE', async (t) => {
  const dir = tempDir(t);
  const tokenFile = join(dir, 'api-token');
  writeFileSync(tokenFile, 'a-token-of-enough-length-0123\n');
  chmodSync(tokenFile, 0o644);
  const { server } = await startAgent(t, { token: undefined, tokenFile });
  const res = await call(server.url, 'POST', '/api/v1/tracers/saver/trigger', { token: 'a-token-of-enough-length-0123', body: '{}' });
  assert.equal(res.status, 503);
  assert.equal(res.json().error.code, 'TOKEN_UNAVAILABLE');
  assert.equal((await call(server.url, 'GET', '/healthz')).status, 200);
});
