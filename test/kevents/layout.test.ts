// kevents layouts match the compiled objects (BTF); the availability probe reports a missing
// tracepoint or BTF type; meminfo and reclaim documents are built as documented.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEV_HANG_OBJECT, KEV_OOM_OBJECT, KEV_OOM_PID_OBJECT, KEV_RECLAIM_OBJECT, KevKind, kevEventLayout, kevMemcgWindowLayout, kevReclaimStartLayout, tracepointUnavailableReason } from '../../src/native/bpf/kevents.js';
import { oomMeminfo, MEMINFO_KEYS } from '../../src/actors/tracers/oom/meminfo.js';
import { parseMeminfo } from '../../src/procfs/index.js';
import { MemcgCooldown, reclaimEventData } from '../../src/actors/tracers/reclaim/index.js';
import { assertLayoutMatchesBtf } from '../support/btf-layout.js';

describe('kevents layouts and helpers', () => {
  for (const object of [KEV_HANG_OBJECT, KEV_OOM_OBJECT, KEV_OOM_PID_OBJECT, KEV_RECLAIM_OBJECT]) {
    it(`struct kev_event in ${object}`, () => assertLayoutMatchesBtf(object, kevEventLayout));
  }
  it('struct kev_reclaim_start', () => assertLayoutMatchesBtf(KEV_RECLAIM_OBJECT, kevReclaimStartLayout));
  it('struct kev_memcg_window', () => assertLayoutMatchesBtf(KEV_RECLAIM_OBJECT, kevMemcgWindowLayout));

  it('tracepoint probe: present on this kernel, missing in a fake tracefs, missing BTF type', () => {
    assert.equal(tracepointUnavailableReason('sched', 'sched_switch'), undefined);
    const root = mkdtempSync(join(tmpdir(), 'kev-tracefs-'));
    try {
      mkdirSync(join(root, 'events', 'oom'), { recursive: true });
      assert.match(tracepointUnavailableReason('oom', 'mark_victim', { tracefsRoot: root }) ?? '', /oom\/mark_victim is not in this kernel/);
      mkdirSync(join(root, 'events', 'oom', 'mark_victim'));
      assert.equal(tracepointUnavailableReason('oom', 'mark_victim', { tracefsRoot: root }), undefined);
      assert.match(tracepointUnavailableReason('oom', 'mark_victim', { tracefsRoot: root, btfPath: join(root, 'no-btf') }) ?? '', /no kernel BTF/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    assert.match(tracepointUnavailableReason('sched', 'no_such_tp_xyz') ?? '', /not in this kernel/);
  });

  it('meminfo snapshot: the 18 keys, in bytes', () => {
    const m = oomMeminfo(parseMeminfo('MemTotal:       1000 kB\nMemFree:  10 kB\nHugePages_Total: 3\nActive(anon):  2 kB\n'));
    assert.deepEqual(m, { MemTotal: 1024000, MemFree: 10240, 'Active(anon)': 2048 });
    assert.equal(MEMINFO_KEYS.length, 18);
  });

  it('reclaim document', () => {
    const e = kevEventLayout.decode(kevEventLayout.encode({ time_ns: 1n, cgroup_v2: 5n, cgroup_memory: 0n, value: 950_000_000n, extra: 42n, kind: KevKind.directReclaim, pid: 10, tgid: 9, trigger_pid: 10, comm: 'alloc', trigger_comm: 'alloc' }));
    assert.deepEqual(reclaimEventData(e, 'c1'), { pid: 10, tgid: 9, comm: 'alloc', container_id: 'c1', scope: 'direct', reclaim_duration_ns: 950_000_000, nr_reclaimed_pages: 42 });
    const m = kevEventLayout.decode(kevEventLayout.encode({ time_ns: 1n, cgroup_v2: 5n, cgroup_memory: 77n, value: 120_000_000n, extra: 900n, kind: KevKind.memcgReclaim, pid: 10, tgid: 9, trigger_pid: 10, comm: 'cat', trigger_comm: 'cat' }));
    assert.deepEqual(reclaimEventData(m, 'c1', { memcgWindowMs: 1000 }), {
      pid: 10, tgid: 9, comm: 'cat', container_id: 'c1', scope: 'memcg', reclaim_duration_ns: 120_000_000, nr_reclaimed_pages: 900, window_ns: 1_000_000_000, memory_cgroup_id: '77',
    });
  });

  it('memcg cooldown: one event per cgroup per cooldown', () => {
    const c = new MemcgCooldown(60_000);
    assert.equal(c.admit(7n, 1000), true);
    assert.equal(c.admit(7n, 30_000), false);
    assert.equal(c.admit(8n, 30_000), true, 'another cgroup is independent');
    assert.equal(c.admit(7n, 61_001), true);
  });
});
