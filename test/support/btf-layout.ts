// Compares a TS record layout with the C struct of the same name in a compiled BPF
// object's BTF (`bpftool btf dump file x.bpf.o -j`: struct size, member names and byte
// offsets), so a field added to a .h without its .ts twin (or vice versa) fails a test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { bpfObjectPath } from '../../src/paths.js';
import type { FieldSpec, Layout } from '../../src/native/layout.js';

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

/** Byte size of a BTF type, following typedefs/modifiers and multiplying arrays out. */
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
    case 'PTR':
      return 8;
    default:
      throw new Error(`unexpected BTF kind ${t.kind} in a shared struct`);
  }
}

export function assertLayoutMatchesBtf<F extends FieldSpec>(object: string, layout: Layout<F>): void {
  const btf = readBtf(object);
  const struct = [...btf.values()].find((t) => t.kind === 'STRUCT' && t.name === layout.name);
  assert.ok(struct, `struct ${layout.name} is not in ${object}.bpf.o's BTF (is it referenced by the program?)`);
  const cMembers = (struct.members ?? []).map((m) => ({ name: m.name, offset: m.bits_offset / 8, size: sizeOf(btf, m.type_id) }));
  assert.deepEqual(layout.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size })), cMembers, `struct ${layout.name}: TS layout and C BTF disagree`);
  assert.equal(layout.size, struct.size, `sizeof(struct ${layout.name})`);
}
