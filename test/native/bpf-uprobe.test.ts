// A uprobe on libc's getppid counts exactly the calls of one child process, both when
// attached to that PID only and when attached system-wide with the BPF-side target_tgid.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '../../src/native/index.js';
import { sumPerCpuU64 } from '../../src/native/layout.js';
import { UPROBE_COUNT_MAP, UPROBE_COUNT_PROGRAM, findLibc, uprobeCountRodata } from '../../src/native/bpf/uprobe_count.js';
import { spawnWorkload, type Workload } from '../support/host.js';

const CALLS = 1000;
// The real interpreter, not a pyenv shim: a shell wrapper would call getppid itself.
const PYTHON = '/usr/bin/python3';
// Waits for a line on stdin (so the probe is attached before the first call), then calls getppid CALLS times.
const SCRIPT = `import os, sys\nsys.stdin.readline()\nfor _ in range(${CALLS}): os.getppid()\n`;

describe('uprobe on libc getppid', () => {
  const objects: BpfObject[] = [];
  const workloads: Workload[] = [];
  after(async () => {
    for (const o of objects.splice(0)) o.close();
    for (const w of workloads.splice(0)) await w.kill();
  });

  const libc = findLibc();

  async function countCalls(attachTo: 'child' | 'system-wide'): Promise<bigint> {
    assert.ok(libc, 'libc not found in /proc/self/maps');
    const child = spawnWorkload(PYTHON, ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'inherit'] });
    workloads.push(child);
    const counter = BpfObject.openBuilt('uprobe_count', { rodata: uprobeCountRodata(child.pid) });
    objects.push(counter);
    counter.attachUprobe(UPROBE_COUNT_PROGRAM, { binary: libc, symbol: 'getppid', pid: attachTo === 'child' ? child.pid : -1 });
    child.child.stdin?.end('go\n');
    assert.equal(await child.exited, 0, 'the python child ran to completion');
    const count = sumPerCpuU64(counter.map(UPROBE_COUNT_MAP).lookupPerCpu(Buffer.alloc(4)) ?? []);
    counter.close();
    return count;
  }

  it(`counts exactly ${CALLS} calls when attached to the child's pid`, async () => {
    assert.equal(await countCalls('child'), BigInt(CALLS));
  });

  it(`counts exactly ${CALLS} calls attached system-wide, filtered by target_tgid in BPF`, async () => {
    assert.equal(await countCalls('system-wide'), BigInt(CALLS));
  });
});
