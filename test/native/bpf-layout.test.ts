// The TS record layouts must match the C structs the BPF objects were compiled with
// (test/support/btf-layout.ts compares them with each object's BTF).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { array, char, defineLayout, s32, u16, u32, u64, u8 } from '../../src/native/layout.js';
import { assertLayoutMatchesBtf } from '../support/btf-layout.js';
import { EXEC_EVENTS_RING, execEventLayout, execEventsRodata } from '../../src/native/bpf/exec_events.js';
import {
  PROFILE_COUNTS_MAP, PROFILE_MAX_COUNTS, PROFILE_MAX_STACKS, PROFILE_STACK_DEPTH, PROFILE_STACKS_MAP, PROFILE_STAT_NR, PROFILE_STATS_MAP, profileKeyLayout,
} from '../../src/native/bpf/profile.js';
import { SCHED_COUNT_MAP } from '../../src/native/bpf/sched_count.js';
import { SYSCALL_EVENTS_PRODUCED_MAP, SYSCALL_EVENTS_RING, syscallEventLayout } from '../../src/native/bpf/syscall_events.js';
import { UPROBE_COUNT_MAP } from '../../src/native/bpf/uprobe_count.js';
import { BpfObject, type MapInfo } from '../../src/native/index.js';

describe('shared layouts match the compiled BPF objects (BTF)', () => {
  it('struct exec_event', () => assertLayoutMatchesBtf('exec_events', execEventLayout));
  it('struct profile_key', () => assertLayoutMatchesBtf('profile', profileKeyLayout));
  it('struct syscall_event', () => assertLayoutMatchesBtf('syscall_events', syscallEventLayout));
  it('detects drift: a layout missing a field does not match', () => {
    const drifted = defineLayout('exec_event', { cgroup_id: u64, pid: u32, ppid: u32, comm: char(16), filename: char(64) });
    assert.throws(() => assertLayoutMatchesBtf('exec_events', drifted), assert.AssertionError);
  });
});

describe('map names and sizes in the .ts files match the objects', () => {
  function mapsOf(object: string): Map<string, MapInfo> {
    const o = BpfObject.openBuilt(object, object === 'syscall_events' ? { rodata: { target_tgid: process.pid } } : {});
    try {
      return new Map(o.maps().map((m) => [m.name, m]));
    } finally {
      o.close();
    }
  }

  it('profile', () => {
    const maps = mapsOf('profile');
    assert.equal(maps.get(PROFILE_STATS_MAP)?.maxEntries, PROFILE_STAT_NR);
    assert.equal(maps.get(PROFILE_COUNTS_MAP)?.keySize, profileKeyLayout.size);
    assert.equal(maps.get(PROFILE_COUNTS_MAP)?.maxEntries, PROFILE_MAX_COUNTS);
    assert.equal(maps.get(PROFILE_STACKS_MAP)?.valueSize, PROFILE_STACK_DEPTH * 8);
    assert.equal(maps.get(PROFILE_STACKS_MAP)?.maxEntries, PROFILE_MAX_STACKS);
  });

  it('rings have their <ring>_drops counter, counters exist', () => {
    const exec = mapsOf('exec_events');
    assert.equal(exec.get(EXEC_EVENTS_RING)?.type, 'ringbuf');
    assert.equal(exec.get(`${EXEC_EVENTS_RING}_drops`)?.perCpu, true);
    const sys = mapsOf('syscall_events');
    assert.equal(sys.get(SYSCALL_EVENTS_RING)?.type, 'ringbuf');
    assert.equal(sys.get(`${SYSCALL_EVENTS_RING}_drops`)?.perCpu, true);
    assert.equal(sys.get(SYSCALL_EVENTS_PRODUCED_MAP)?.perCpu, true);
    assert.equal(mapsOf('sched_count').get(SCHED_COUNT_MAP)?.perCpu, true);
    assert.equal(mapsOf('uprobe_count').get(UPROBE_COUNT_MAP)?.perCpu, true);
  });
});

describe('layout', () => {
  it('applies C alignment and tail padding', () => {
    const l = defineLayout('t', { a: u8, b: u64, c: u16, d: char(3), e: u32 });
    assert.deepEqual(l.fields.map((f) => f.offset), [0, 8, 16, 18, 24]);
    assert.equal(l.size, 32);
    assert.equal(defineLayout('c', { a: char(5) }).size, 5);
    assert.equal(defineLayout('s', { a: u32, b: u8 }).size, 8);
  });

  it('round-trips every field type', () => {
    const l = defineLayout('all', { a: u8, b: u16, c: u32, d: s32, e: u64, f: char(8), g: array(u64, 3) });
    const value = { a: 255, b: 65535, c: 0xffffffff, d: -5, e: 2n ** 64n - 1n, f: 'abc', g: [1n, 2n, 3n] };
    const buf = l.encode(value);
    assert.equal(buf.length, l.size);
    assert.deepEqual(l.decode(buf), value);
    const shifted = Buffer.concat([Buffer.alloc(7), buf]);
    assert.deepEqual(l.decode(shifted, 7), value);
  });

  it('decodes a char[N] without a NUL (a full comm) and stops at the first NUL', () => {
    const l = defineLayout('c', { s: char(4) });
    assert.equal(l.decode(Buffer.from('abcd')).s, 'abcd');
    assert.equal(l.decode(Buffer.from([0x61, 0, 0x62, 0])).s, 'a');
  });

  it('refuses what does not fit, with a coded error', () => {
    const l = defineLayout('c', { s: char(4), n: u8 });
    assert.throws(() => l.encode({ s: 'abcde', n: 1 }), { code: 'LAYOUT_INVALID' });
    assert.throws(() => l.decode(Buffer.alloc(3)), { code: 'LAYOUT_INVALID' });
    assert.throws(() => l.encode({ s: 'a', n: 256 }), RangeError);
    assert.throws(() => char(0), { code: 'LAYOUT_INVALID' });
  });

  it('decodes a record written like the BPF side writes it', () => {
    const buf = Buffer.alloc(execEventLayout.size);
    buf.writeBigUInt64LE(42n, 0);
    buf.writeUInt32LE(100, 8);
    buf.writeUInt32LE(101, 12);
    buf.writeUInt32LE(1, 16);
    buf.write('atw1-true', 20);
    buf.write('/tmp/x/atw1-true', 36);
    assert.deepEqual(execEventLayout.decode(buf), { cgroup_id: 42n, pid: 100, tgid: 101, ppid: 1, comm: 'atw1-true', filename: '/tmp/x/atw1-true' });
    const k = profileKeyLayout.encode({ cgroup_id: 1n, pid: 2, tgid: 3, kstack_id: -14, ustack_id: 7, comm: 'x' });
    assert.equal(k.readInt32LE(16), -14);
  });

  it('builds the exec_events comm-prefix knob', () => {
    const knob = execEventsRodata('atw1-');
    assert.equal(knob.comm_prefix_len, 5);
    assert.equal(knob.comm_prefix.length, 16);
    assert.equal(knob.comm_prefix.toString('latin1', 0, 5), 'atw1-');
    assert.throws(() => execEventsRodata('x'.repeat(16)), RangeError);
  });
});
