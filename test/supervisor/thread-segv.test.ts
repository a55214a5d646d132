// A native SIGSEGV in a worker-thread tracer takes the whole agent down (the documented
// limit of isolation "thread"): run the agent in a child process and assert its status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testAddonPath } from '../../src/paths.js';
import { tempDir } from './harness.js';

const agent = fileURLToPath(new URL('../fixtures/supervisor/thread-segv-agent.js', import.meta.url));

test('thread isolation: a native SIGSEGV kills the whole process (signal SIGSEGV, shell status 139)', async (t) => {
  assert.ok(existsSync(testAddonPath), `the test-only addon must be built (${testAddonPath}): npm run build`);
  const dir = tempDir(t);
  const child = spawn(process.execPath, [agent, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  assert.doesNotMatch(out, /survived/);
  assert.equal(signal, 'SIGSEGV');
  assert.equal(code, null);
  // What a shell (or systemd) reports: 128 + SIGSEGV(11).
  const viaShell = await new Promise<number | null>((resolve) => {
    const sh = spawn('/bin/sh', ['-c', `"${process.execPath}" "${agent}" "${dir}" >/dev/null 2>&1; echo $?`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    sh.stdout.on('data', (d: Buffer) => (s += d.toString()));
    sh.once('exit', () => resolve(Number(s.trim())));
  });
  assert.equal(viaShell, 139);
});
