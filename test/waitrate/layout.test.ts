// The waitrate TS layouts must match the C structs the BPF objects were compiled with
// (sizes, member names and offsets from each object's BTF), and the objects must load.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { bpfObjectPath } from '../../src/paths.js';
import { defineLayout, u32, u64, type FieldSpec, type Layout } from '../../src/native/layout.js';
import { waitrateCgLayout, waitrateCpuLayout, waitrateTaskLayout, WAITRATE_OBJECT, WAITRATE_STAT_NR, WAITRATE_MAX_CGROUPS, waitrateMapSizes, waitrateRodata } from '../../src/native/bpf/waitrate.js';
import { wrcHistLayout, wrcKeyLayout, wrcSliceLayout, wrcTaskLayout, WAITRATE_CAPTURE_OBJECT, WRC_STAT_NR } from '../../src/native/bpf/waitrate_capture.js';
import { BpfObject } from '../../src/native/index.js';

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: Array<{ name: string; type_id: number; bits_offset: number }>;
}

function readBtf(object: string): Map<number, BtfType> {
  const path = bpfObjectPath(object);
  assert.ok(existsSync(path), `${path} is missing: run \`node scripts/build.mjs bpf\``);
  const r = spawnSync('bpftool', ['btf', 'dump', 'file', path, '-j'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `bpftool btf dump failed: ${r.stderr}`);
  return new Map((JSON.parse(r.stdout) as { types: BtfType[] }).types.map((t) => [t.id, t]));
}

function sizeOf(btf: Map<number, BtfType>, id: number): number {
  const t = btf.get(id);
  assert.ok(t, `BTF type ${id} missing`);
  switch (t.kind) {
    case 'INT':
    case 'ENUM':
    case 'STRUCT':
    case 'UNION':
      return t.size ?? 0;
    case 'ARRAY':
      return (t.nr_elems ?? 0) * sizeOf(btf, t.type_id ?? 0);
    case 'TYPEDEF':
    case 'CONST':
    case 'VOLATILE':
      return sizeOf(btf, t.type_id ?? 0);
    default:
      throw new Error(`unexpected BTF kind ${t.kind} in a shared struct`);
  }
}

function assertLayoutMatchesBtf<F extends FieldSpec>(object: string, layout: Layout<F>): void {
  const btf = readBtf(object);
  const struct = [...btf.values()].find((t) => t.kind === 'STRUCT' && t.name === layout.name);
  assert.ok(struct, `struct ${layout.name} is not in ${object}.bpf.o's BTF`);
  const cMembers = (struct.members ?? []).map((m) => ({ name: m.name, offset: m.bits_offset / 8, size: sizeOf(btf, m.type_id) }));
  assert.deepEqual(layout.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size })), cMembers, `struct ${layout.name}: TS layout and C BTF disagree`);
  assert.equal(layout.size, struct.size, `sizeof(struct ${layout.name})`);
}

describe('waitrate layouts match the compiled BPF objects (BTF)', () => {
  it('struct waitrate_cg', () => assertLayoutMatchesBtf(WAITRATE_OBJECT, waitrateCgLayout));
  it('struct waitrate_cpu', () => assertLayoutMatchesBtf(WAITRATE_OBJECT, waitrateCpuLayout));
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
