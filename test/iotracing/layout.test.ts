// The iotracing TS layouts match the C structs of the compiled object (BTF), and the map
// sizes and stat slots agree with iotracing.h.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineLayout, u32, u64 } from '../../src/native/layout.js';
import { BpfObject } from '../../src/native/index.js';
import { IOTRACING_OBJECT, IOT_MAX_BLOCKED, IOT_MAX_FILES, IOT_MAX_TARGET_DISKS, IOT_STAT_NR, iotBlockedLayout, iotDirtierLayout, iotFileLayout, iotKeyLayout, iotracingRodata, iotRqLayout, iotSleepLayout, iotValLayout, kernelDev, splitKernelDev } from '../../src/native/bpf/iotracing.js';
import { dropTracingFrames, iotracingAutoload, optionalProgramsAutoload } from '../../src/actors/tracers/iotracing/capture.js';
import { IO_START_PROGRAMS, selectIoStartProgram, startProgramAutoload } from '../../src/actors/tracers/iotracing/start-program.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertLayoutMatchesBtf } from '../support/btf-layout.js';

describe('iotracing layouts match the compiled BPF object (BTF)', () => {
  it('struct iot_rq', () => assertLayoutMatchesBtf(IOTRACING_OBJECT, iotRqLayout));
  it('struct iot_key', () => assertLayoutMatchesBtf(IOTRACING_OBJECT, iotKeyLayout));
  it('struct iot_val', () => assertLayoutMatchesBtf(IOTRACING_OBJECT, iotValLayout));
  it('struct iot_sleep', () => assertLayoutMatchesBtf(IOTRACING_OBJECT, iotSleepLayout));
  it('struct iot_blocked', () => assertLayoutMatchesBtf(IOTRACING_OBJECT, iotBlockedLayout));
  it('struct iot_file', () => assertLayoutMatchesBtf(IOTRACING_OBJECT, iotFileLayout));
  it('struct iot_dirtier', () => assertLayoutMatchesBtf(IOTRACING_OBJECT, iotDirtierLayout));
  it('the target-disk knob loads with a full table and refuses more', () => {
    const disks = Array.from({ length: IOT_MAX_TARGET_DISKS }, (_, i) => kernelDev(7, i));
    BpfObject.openBuilt(IOTRACING_OBJECT, { rodata: iotracingRodata({ targetDisks: disks }) }).close();
    assert.throws(() => iotracingRodata({ targetDisks: [...disks, kernelDev(8, 0)] }), RangeError);
  });
  it('optional programs (file of the syscall, dirtier) load only where their tracepoint exists', () => {
    assert.deepEqual(optionalProgramsAutoload(), { iot_sys_enter: true, iot_dirty_folio: true }, 'both exist on this kernel');
    const root = mkdtempSync(join(tmpdir(), 'iot-tracefs-'));
    try {
      mkdirSync(join(root, 'events', 'block'), { recursive: true });
      const autoload = optionalProgramsAutoload({ tracefsRoot: root });
      assert.deepEqual(autoload, { iot_sys_enter: false, iot_dirty_folio: false });
      const o = BpfObject.openBuilt(IOTRACING_OBJECT, { autoload: { ...autoload, ...startProgramAutoload('block_io_start') } });
      try {
        assert.deepEqual(o.programs().filter((p) => p.id > 0).map((p) => p.name).sort(), ['iot_io_start', 'iot_rq_complete', 'iot_rq_issue', 'iot_switch', 'iot_wakeup']);
      } finally {
        o.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('the request-start program: block_io_start on this kernel, exactly one of the two loads, and SEC defaults are the pre-6.5 fallback', () => {
    assert.equal(selectIoStartProgram(), 'block_io_start', 'this 6.18 kernel has block_io_start');
    const loadedWith = (autoload: Record<string, boolean>): string[] => {
      const o = BpfObject.openBuilt(IOTRACING_OBJECT, { autoload });
      try {
        return o.programs().filter((p) => p.id > 0).map((p) => p.name);
      } finally {
        o.close();
      }
    };
    for (const choice of ['block_io_start', 'fallback'] as const) {
      const other = choice === 'fallback' ? 'block_io_start' : 'fallback';
      const loaded = loadedWith(iotracingAutoload(choice));
      assert.ok(loaded.includes(IO_START_PROGRAMS[choice].program) && !loaded.includes(IO_START_PROGRAMS[other].program), `${choice}: ${loaded.join(', ')}`);
    }
    // A plain libbpf loader (the qemu test's guest) loads what the agent chooses before 6.5.
    const defaults = loadedWith({});
    assert.ok(defaults.includes('iot_rq_insert') && !defaults.includes('iot_io_start'), `SEC defaults: ${defaults.join(', ')}`);
  });
  it('detects drift', () => {
    assert.throws(() => assertLayoutMatchesBtf(IOTRACING_OBJECT, defineLayout('iot_key', { dev: u32, ino: u64 })), assert.AssertionError);
  });
  it('map sizes and stat slots agree with the header', () => {
    const o = BpfObject.openBuilt(IOTRACING_OBJECT);
    try {
      assert.equal(o.map('files').maxEntries, IOT_MAX_FILES);
      assert.equal(o.map('blocked').maxEntries, IOT_MAX_BLOCKED);
      assert.equal(o.map('stats').maxEntries, IOT_STAT_NR);
      assert.equal(o.map('files').keySize, iotKeyLayout.size);
    } finally {
      o.close();
    }
  });
  it('kernel dev_t encoding (MINORBITS 20)', () => {
    assert.equal(kernelDev(7, 3), (7 << 20) | 3);
    assert.deepEqual(splitKernelDev(kernelDev(259, 65537)), { major: 259, minor: 65537 });
  });
  it('cuts the BPF / tracepoint frames off a switch-out stack', () => {
    assert.deepEqual(dropTracingFrames(['bpf_prog_ab_iot_switch+0x77 [bpf]', 'bpf_trace_run4+0x10d', '__schedule+0x628', 'schedule+0x23']), ['__schedule+0x628', 'schedule+0x23']);
  });
});
