// accounting.cpuStat (issue 16.4): usage and throttling with one cpu.stat read where v2
// carries both, giving what cpuUsage (v2) and throttling() give apart, on real idle cgroups
// (nothing runs in them, so the two ways read the same numbers): one in v2 and the v1 cpu +
// cpuacct hierarchies (this hybrid host: throttling from v1), one in v2 only; and a removed
// one gives neither part.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuStat, cpuUsage, throttling, type Container } from '../../src/containers/index.js';
import { createTestCgroup, removeTestCgroup, type TestCgroup } from '../support/host.js';

function containerOf(cg: TestCgroup): Container {
  return { id: cg.name, name: `/${cg.name}`, type: 'cgroup', v2Path: cg.v2Path, v2Id: cg.id, v1Paths: { ...cg.v1Paths }, v1Ids: {} };
}

describe('cpuStat', () => {
  const made: TestCgroup[] = [];
  after(async () => {
    for (const cg of made) await removeTestCgroup(cg);
  });

  for (const [name, v1] of [['cs-hybrid', ['cpu', 'cpuacct']], ['cs-v2only', []]] as const) {
    it(`equals cpuUsage(v2) and throttling() (${name})`, () => {
      const cg = createTestCgroup(name, { v1: [...v1] });
      made.push(cg);
      const c = containerOf(cg);
      assert.deepEqual(cpuStat(c), { usage: cpuUsage(c, { source: 'v2' }), throttling: throttling(c) });
    });
  }

  it('a removed cgroup gives neither part', async () => {
    const cg = createTestCgroup('cs-gone');
    const c = containerOf(cg);
    await removeTestCgroup(cg);
    assert.deepEqual(cpuStat(c), {});
  });
});
