// The shared watchdog clock: one timer per distinct period, whatever the number of actors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TickGroup } from '../../src/supervisor/tick-group.js';

/** Waits until `done()` holds (timers lag on a loaded machine: no fixed sleep decides a count). */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(10);
}

test('subscribers with one period share one timer; the last unsubscribe clears it', async () => {
  const group = new TickGroup();
  const counts = [0, 0, 0];
  const offA = group.every(20, () => counts[0]!++);
  const offB = group.every(20, () => counts[1]!++);
  const offC = group.every(35, () => counts[2]!++);
  assert.equal(group.timers, 2);
  await until(() => counts[0]! >= 3 && counts[1]! >= 3 && counts[2]! >= 2);
  assert.ok(counts[0]! >= 3 && counts[1]! >= 3 && counts[2]! >= 2, `ticks ${counts.join(',')}`);
  assert.ok(Math.abs(counts[0]! - counts[1]!) <= 1, 'same period, same timer');
  offA();
  assert.equal(group.timers, 2);
  offB();
  offC();
  assert.equal(group.timers, 0);
  const frozen = [...counts];
  await sleep(60);
  assert.deepEqual(counts, frozen, 'no tick after unsubscribing');
});

test('a subscriber may unsubscribe itself during a tick without starving the others', async () => {
  const group = new TickGroup();
  let other = 0;
  let self = 0;
  const off = group.every(15, () => {
    self++;
    off();
  });
  const offOther = group.every(15, () => other++);
  await until(() => other >= 3);
  assert.equal(self, 1);
  assert.ok(other >= 3, `other ticked ${other} times`);
  offOther();
  assert.equal(group.timers, 0);
});
