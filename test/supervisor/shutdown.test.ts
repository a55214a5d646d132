// Shutdown: tracers stop in reverse order, then storage; an actor that ignores the stop
// message is terminated (thread) or SIGTERMed then SIGKILLed (process) after its
// timeouts; no BPF program or link of ours survives shutdown or a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TracerEvent } from '../../src/supervisor/events.js';
import { bpftoolLinks, bpftoolProgs } from '../support/host.js';
import { memoryStorage, startSupervisor, tempDir, tracer, waitFor } from './harness.js';

test('tracers stop in reverse order, then storage', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'order');
  const log: string[] = [];
  const supervisor = new Supervisor({
    storage: memoryStorage(dir),
    tracers: ['first', 'second', 'third'].map((name) => tracer(name, 'orders-stop', { settings: { file } })),
    log: (_level, msg) => log.push(msg),
  });
  t.after(() => supervisor.stop());
  await supervisor.start();
  const outcomes = await supervisor.stop();
  assert.deepEqual(outcomes, { third: 'graceful', second: 'graceful', first: 'graceful' });
  const order = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
  assert.deepEqual(order, ['third', 'second', 'first']);
  const stops = log.filter((m) => /^stopped |^storage: stopped/.test(m));
  assert.deepEqual(stops, ['stopped third: graceful', 'stopped second: graceful', 'stopped first: graceful', 'storage: stopped']);
  assert.deepEqual(supervisor.status().actors.map((a) => a.state), ['stopped', 'stopped', 'stopped', 'stopped']);
});

test('thread: an actor ignoring stop is terminated after shutdownMs', async (t) => {
  const { supervisor } = await startSupervisor(t, [tracer('stubborn', 'ignores-stop', { shutdownMs: 300, killAfterMs: 2000 })]);
  const began = Date.now();
  const outcomes = await supervisor.stop();
  const took = Date.now() - began;
  assert.deepEqual(outcomes, { stubborn: 'terminated' });
  assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
});

test('process: an actor ignoring stop and SIGTERM is SIGKILLed after shutdownMs + killAfterMs', async (t) => {
  const { supervisor } = await startSupervisor(t, [tracer('stubborn', 'ignores-stop', { isolation: 'process', shutdownMs: 300, killAfterMs: 300 })]);
  const pid = supervisor.tracerStatus('stubborn').pid!;
  const began = Date.now();
  const outcomes = await supervisor.stop();
  const took = Date.now() - began;
  assert.deepEqual(outcomes, { stubborn: 'killed' });
  assert.ok(took >= 590, `took ${took} ms`);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the child must be gone');
});

function attachedEvents(events: TracerEvent[]): { at: number; pid: number; progIds: number[] }[] {
  return events.flatMap((e) => (e.type === 'log' && e.msg === 'attached' ? [e.fields as { at: number; pid: number; progIds: number[] }] : []));
}

function stillLoaded(progIds: number[]): number[] {
  const ids = new Set(bpftoolProgs().map((p) => p.id));
  const linked = new Set(bpftoolLinks().map((l) => l.prog_id));
  return progIds.filter((id) => ids.has(id) || linked.has(id));
}

for (const isolation of ['thread', 'process'] as const) {
  test(`${isolation}: no BPF program or link survives a crash or shutdown, and BPF is re-attached`, async (t) => {
    // Only the first instance crashes: on a loaded machine the checks below can take longer than
    // 300 ms, and a second crash would release the programs they expect to find attached.
    const { supervisor, events } = await startSupervisor(t, [
      tracer('schedcount', 'bpf-sched-count', { isolation, settings: { crashAfterMs: 300, crashOnceFile: join(tempDir(t), 'crashed') } }),
    ]);
    // First instance attaches, crashes 300 ms later, is restarted (100 ms) and re-attaches.
    await waitFor('re-attached after a crash', () => attachedEvents(events).length >= 2, 10_000);
    const [first, second] = attachedEvents(events);
    assert.ok(first !== undefined && second !== undefined && first.progIds.length > 0);
    assert.equal(supervisor.tracerStatus('schedcount').restartsByReason['uncaught-exception'], 1);
    // The crashed instance's programs are released (the kernel frees ids asynchronously).
    await waitFor('crashed instance released', () => stillLoaded(first.progIds).length === 0 || undefined, 5000);
    assert.deepEqual(stillLoaded(second.progIds), second.progIds, 'the new instance is attached');
    await supervisor.stop();
    const all = attachedEvents(events).flatMap((e) => e.progIds);
    await waitFor('every program released after shutdown', () => stillLoaded(all).length === 0 || undefined, 5000);
  });
}
