// The iotracing TS layouts match the C structs of the compiled object (BTF), and the map
// sizes and stat slots agree with iotracing.h.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineLayout, u32, u64 } from '../../src/native/layout.js';
import { BpfObject } from '../../src/native/index.js';
import { IOTRACING_OBJECT, IOT_MAX_BLOCKED, IOT_MAX_FILES, IOT_MAX_TARGET_DISKS, IOT_STAT_NR, iotBlockedLayout, iotDirtierLayout, iotFileLayout, iotKeyLayout, iotracingRodata, iotRqLayout, iotSleepLayout, iotValLayout, kernelDev, splitKernelDev } from '../../src/native/bpf/iotracing.js';
import { dropTracingFrames } from '../../src/actors/tracers/iotracing/capture.js';
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
