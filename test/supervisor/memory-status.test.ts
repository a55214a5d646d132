// Issue 14 item 8: memory per isolate. Every actor reports its isolate's heap (and the
// process RSS) on its metrics tick; the supervisor adds the main thread's; GET
// /api/v1/status/memory and `autotracer status --verbose` show them, RSS honestly marked
// "shared" for worker threads (one process: their memory is inside the agent's RSS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryStatus } from '../../src/cli/api-types.js';
import { runCli } from '../cli/support.js';
import { call, startAgent, waitFor } from '../http/support.js';

test('status --verbose shows the heap of every actor isolate and the agent RSS', async (t) => {
  const agent = await startAgent(t);
  const base = agent.server.url;
  const memory = await waitFor('a memory report from the saver actor', async () => {
    const r = await call(base, 'GET', '/api/v1/status/memory');
    const m = (r.json() as { data: MemoryStatus }).data;
    return m.actors.find((a) => a.name === 'saver')?.memory ? m : undefined;
  });
  const saver = memory.actors.find((a) => a.name === 'saver')!;
  assert.ok(saver.memory!.heapUsed > 0 && saver.memory!.heapUsed <= saver.memory!.heapTotal);
  assert.ok(saver.memory!.heapLimit >= saver.memory!.heapTotal);
  assert.ok(memory.main !== null && memory.main.processRss > memory.main.heapUsed, 'main thread heap and process RSS');
  assert.equal(memory.lookback?.state, 'disabled', 'no look-back unless configured');

  const table = await runCli(['status', '--verbose', '--api', base]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /memory: agent process RSS \d+\.\dM/);
  assert.match(table.stdout, /ISOLATE\s+ISOLATION\s+HEAP USED/);
  assert.match(table.stdout, /saver\s+thread\s+\d+\.\dM.*shared/);
  assert.match(table.stdout, /look-back: disabled/);
  const json = await runCli(['status', '--verbose', '--format', 'json', '--api', base]);
  const parsed = JSON.parse(json.stdout) as { memory: MemoryStatus };
  assert.ok(parsed.memory.actors.some((a) => a.name === 'saver' && a.memory !== null));
  const plain = await runCli(['status', '--api', base]);
  assert.doesNotMatch(plain.stdout, /HEAP USED/, 'without --verbose: unchanged');
});
