// `promtool check metrics` (the Prometheus project's own linter, Debian package
// `prometheus`, installed by scripts/setup.sh) must find nothing in a live /metrics: it
// once reported prom-client's gauges autotracer_nodejs_active_{handles,requests,resources}_total
// (a `_total` suffix is for counters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { call, startAgent } from '../http/support.js';

function promtool(text: string): { status: number | null; output: string; error?: Error } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), ...(r.error !== undefined ? { error: r.error } : {}) };
}

test('promtool check metrics finds nothing in a live /metrics', async (t) => {
  const probe = promtool('');
  assert.equal(probe.error, undefined, `promtool is not installed (${probe.error?.message}): run scripts/setup.sh (Debian package prometheus)`);
  const agent = await startAgent(t);
  // Two scrapes: the second has every status-derived series populated.
  await call(agent.server.url, 'GET', '/metrics');
  const res = await call(agent.server.url, 'GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.text, /autotracer_nodejs_active_handles\{/, 'the per-type active-handles gauge is still exported');
  assert.doesNotMatch(res.text, /autotracer_nodejs_active_(handles|requests|resources)_total/);
  const lint = promtool(res.text);
  assert.equal(lint.output, '', `promtool findings:\n${lint.output}`);
  assert.equal(lint.status, 0);
});

test('the promtool check can fail: it flags a gauge named _total', () => {
  const lint = promtool('# HELP x_things_total things\n# TYPE x_things_total gauge\nx_things_total 1\n');
  assert.match(lint.output, /x_things_total/);
});
