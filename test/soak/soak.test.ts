// The soak harness end to end: a 2-minute run (bench/soak/run.ts) as a child process, as
// root, with the real agent, workloads, fault injection, ES flapping and one kill -9. It
// must exit 0 and its report must carry every check, each PASS. On failure the report and
// the tail of the progress output are printed. Takes about 2 minutes (limit 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CHECK_NAMES } from '../../bench/soak/report.js';

const runJs = fileURLToPath(new URL('../../bench/soak/run.js', import.meta.url));

test('a 2-minute soak passes every check', { timeout: 180_000 }, async (t) => {
  const child = spawn(process.execPath, [runJs, '--minutes', '2', '--seed', '20261127'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    // SIGTERM lets the soak restore the host (workloads, loop device, cgroups) before it leaves.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  });
  const code = await exited;
  const explain = `exit ${code}\n--- report ---\n${stdout}\n--- progress (tail) ---\n${stderr.split('\n').slice(-40).join('\n')}`;
  for (const name of CHECK_NAMES) {
    assert.match(stdout, new RegExp(`^\\| ${name} +\\|.*\\| (PASS|FAIL) +\\|$`, 'm'), `the report has no row for ${name}\n${explain}`);
  }
  const failed = CHECK_NAMES.filter((name) => new RegExp(`^\\| ${name} +\\|.*\\| FAIL +\\|$`, 'm').test(stdout));
  assert.deepEqual(failed, [], `failed checks\n${explain}`);
  assert.match(stdout, /^SOAK PASSED$/m, explain);
  assert.equal(code, 0, explain);
  t.diagnostic(stdout.split('\n').filter((l) => l.startsWith('|') || /^(seed|kill -9 gap|restarts by reason|events by tracer) /.test(l)).join('\n'));
});
