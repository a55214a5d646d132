// The API token file: generated once (0600, in a 0700 directory created as needed), reused
// afterwards, and a path that cannot be created is a coded error, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateToken, tokensEqual } from '../../src/http/token.js';

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
