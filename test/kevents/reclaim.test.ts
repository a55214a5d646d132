// Direct reclaim: the programs attach on this kernel (a real >900 ms global direct reclaim
// cannot be provoked on a shared test VM, so the document is unit-tested in layout.test.ts),
// and a missing tracepoint makes the tracer `unavailable` instead of crashing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reclaimSettingsSchema, type ReclaimSettings } from '../../src/actors/tracers/reclaim/config.js';
import { ReclaimTracer } from '../../src/actors/tracers/reclaim/index.js';
import { OomTracer } from '../../src/actors/tracers/oom/index.js';
import { oomSettingsSchema, type OomSettings } from '../../src/actors/tracers/oom/config.js';
import { waitFor } from '../support/host.js';
import { testContext } from '../support/tracer-context.js';

describe('reclaim event tracer', () => {
  it('attaches begin/end and stops cleanly', async () => {
    const abort = new AbortController();
    const ctx = testContext<ReclaimSettings>('reclaim', reclaimSettingsSchema.parse({ containers: { plainRoots: [], scanRoots: [] } }), abort.signal);
    const tracer = new ReclaimTracer();
    let programs: string[] = [];
    tracer.onAttached = (o) => (programs = o.programs().filter((p) => p.attached).map((p) => p.name).sort());
    const running = tracer.start(ctx);
    try {
      await waitFor(() => programs.length > 0, { timeoutMs: 5000, what: 'attached programs' });
      assert.deepEqual(programs, ['kev_reclaim_begin', 'kev_reclaim_end']);
    } finally {
      abort.abort();
      await running;
      ctx.closeAll();
    }
    assert.equal(ctx.objects.every((o) => o.closed), true);
  });

  it('missing tracepoints -> TracerUnavailableError (reclaim and oom)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kev-notp-'));
    try {
      mkdirSync(join(root, 'events'));
      const r = new ReclaimTracer();
      r.specOverride = { probe: { tracefsRoot: root } };
      const ctx = testContext<ReclaimSettings>('reclaim', reclaimSettingsSchema.parse({}), new AbortController().signal);
      await assert.rejects(r.start(ctx), (err: { code?: string; message: string }) => err.code === 'TRACER_UNAVAILABLE' && /mm_vmscan_direct_reclaim_begin/.test(err.message));
      const o = new OomTracer();
      o.spec = { ...o.spec, probe: { tracefsRoot: root } };
      const ctx2 = testContext<OomSettings>('oom', oomSettingsSchema.parse({}), new AbortController().signal);
      await assert.rejects(o.start(ctx2), (err: { code?: string; message: string }) => err.code === 'TRACER_UNAVAILABLE' && /mark_victim/.test(err.message));
      assert.equal(ctx.objects.length + ctx2.objects.length, 0, 'nothing loaded');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
