// The waitrate TS layouts must match the C structs the BPF objects were compiled with
// (sizes, member names and offsets from each object's BTF), and the objects must load.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineLayout, u32, u64 } from '../../src/native/layout.js';
import { assertLayoutMatchesBtf } from '../support/btf-layout.js';
import { waitrateCgLayout, waitrateCpuLayout, waitrateSliceLayout, waitrateTaskLayout, WAITRATE_OBJECT, WAITRATE_STAT_NR, WAITRATE_MAX_CGROUPS, waitrateMapSizes, waitrateRodata } from '../../src/native/bpf/waitrate.js';
import { wrcHistLayout, wrcKeyLayout, wrcSliceLayout, wrcTaskLayout, WAITRATE_CAPTURE_OBJECT, WRC_STAT_NR } from '../../src/native/bpf/waitrate_capture.js';
import { BpfObject } from '../../src/native/index.js';

describe('waitrate layouts match the compiled BPF objects (BTF)', () => {
  it('struct waitrate_cg', () => assertLayoutMatchesBtf(WAITRATE_OBJECT, waitrateCgLayout));
  it('struct waitrate_cpu', () => assertLayoutMatchesBtf(WAITRATE_OBJECT, waitrateCpuLayout));
  it('struct waitrate_slice', () => assertLayoutMatchesBtf(WAITRATE_OBJECT, waitrateSliceLayout));
  it('struct waitrate_task', () => assertLayoutMatchesBtf(WAITRATE_OBJECT, waitrateTaskLayout));
  it('struct wrc_key', () => assertLayoutMatchesBtf(WAITRATE_CAPTURE_OBJECT, wrcKeyLayout));
  it('struct wrc_hist', () => assertLayoutMatchesBtf(WAITRATE_CAPTURE_OBJECT, wrcHistLayout));
  it('struct wrc_slice', () => assertLayoutMatchesBtf(WAITRATE_CAPTURE_OBJECT, wrcSliceLayout));
  it('struct wrc_task', () => assertLayoutMatchesBtf(WAITRATE_CAPTURE_OBJECT, wrcTaskLayout));
  it('detects drift: a layout missing a field does not match', () => {
    const drifted = defineLayout('waitrate_cg', { run_ns: u64, wait_ns: u64, nr_waits: u32 });
    assert.throws(() => assertLayoutMatchesBtf(WAITRATE_OBJECT, drifted), assert.AssertionError);
  });
  it('map sizes and stat slots agree with the headers', () => {
    const o = BpfObject.openBuilt(WAITRATE_OBJECT);
    const c = BpfObject.openBuilt(WAITRATE_CAPTURE_OBJECT);
    try {
      assert.equal(o.map('cg_stats').maxEntries, WAITRATE_MAX_CGROUPS);
      assert.equal(o.map('cg_stats').valueSize, waitrateCgLayout.size);
      assert.equal(o.map('stats').maxEntries, WAITRATE_STAT_NR);
      assert.equal(c.map('stats').maxEntries, WRC_STAT_NR);
      assert.equal(c.map('matrix').keySize, wrcKeyLayout.size);
      assert.equal(c.map('hist').valueSize, wrcHistLayout.size);
      // mapSizes overrides the bound (the `maxCgroups` setting).
      const small = BpfObject.openBuilt(WAITRATE_OBJECT, { mapSizes: waitrateMapSizes(64), rodata: waitrateRodata({ maxCgroups: 64 }) });
      assert.equal(small.map('cg_stats').maxEntries, 64);
      assert.equal(small.map('cg_slots').maxEntries, 64);
      small.close();
    } finally {
      o.close();
      c.close();
    }
  });
});
