// Kernel feature probing from BTF (src/native/btf.ts, src/native/features.ts): the parser
// agrees with bpftool on this kernel's BTF, reads the .BTF of an ELF file, and the probes
// give exact verdicts for kernels this VM cannot boot (synthetic BTF shaped like them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { selectOomProgram } from '../../src/actors/tracers/oom/variant.js';
import { ioStartProgramFor, startProgramAutoload } from '../../src/actors/tracers/iotracing/start-program.js';
import { OOM_SPEC } from '../../src/actors/tracers/oom/index.js';
import { KernelBtf } from '../../src/native/btf.js';
import { FEATURES, markVictimShape, probeTracer, TRACER_FEATURES, tracerFeatureReport, hasTracepoint } from '../../src/native/features.js';
import { bpfObjectPath } from '../../src/paths.js';
import { fakeKernelBtf, NEW_KERNEL } from '../support/btf-writer.js';
import { HungtaskTracer } from '../../src/actors/tracers/hungtask/index.js';
import { hungtaskSettingsSchema, type HungtaskSettings } from '../../src/actors/tracers/hungtask/config.js';
import { OomTracer } from '../../src/actors/tracers/oom/index.js';
import { oomSettingsSchema, type OomSettings } from '../../src/actors/tracers/oom/config.js';
import { testContext } from '../support/tracer-context.js';

describe('kernel BTF reader', () => {
  const host = KernelBtf.load();

  it('counts the same types as bpftool and answers the probes on this kernel', () => {
    const r = spawnSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const last = /^\[(\d+)\]/gm;
    let max = 0;
    for (let m = last.exec(r.stdout); m !== null; m = last.exec(r.stdout)) max = Number(m[1]);
    assert.equal(host.typeCount, max);
    assert.ok(host.hasTracepoint('sched_switch'));
    assert.equal(host.hasTracepoint('no_such_tracepoint_here'), false);
    assert.ok(host.structHasMember('task_struct', 'pid'));
    assert.equal(host.structHasMember('task_struct', 'no_such_member'), false);
    assert.deepEqual(host.tracepointArgs('sched_switch'), ['bool', 'struct task_struct *', 'struct task_struct *', 'unsigned int']);
    assert.ok(host.hasFunc('bpf_task_get_cgroup1'), 'platform.md: the kfunc works here');
    assert.ok(host.hasEnumValue('bpf_map_type', 'BPF_MAP_TYPE_RINGBUF'));
    assert.equal(host.hasEnumValue('bpf_map_type', 'BPF_MAP_TYPE_NO_SUCH'), false);
  });

  it('reads the .BTF section of an ELF file (a built BPF object)', () => {
    const obj = KernelBtf.load(bpfObjectPath('kevents_oom'));
    assert.ok(obj.structHasMember('kev_event', 'trigger_comm'));
  });

  it('says what is wrong with a file that is not BTF', () => {
    assert.throws(() => KernelBtf.fromBuffer(Buffer.from('not btf at all, really not'), 'junk'), { code: 'BTF_INVALID', message: /junk: not BTF/ });
    assert.throws(() => KernelBtf.load('/nonexistent/vmlinux'), { code: 'BTF_MISSING' });
  });

  it('every feature a tracer declares is present on this kernel (6.18), and no tracer is unavailable', () => {
    for (const tracer of Object.keys(TRACER_FEATURES)) {
      const report = tracerFeatureReport(tracer, host);
      assert.equal(report.unavailable, undefined, `${tracer}: ${report.unavailable}`);
      assert.ok(report.verdicts.every((v) => v.status === 'present'), `${tracer}: ${JSON.stringify(report.verdicts)}`);
    }
    assert.equal(markVictimShape(host), 'task');
    assert.ok(hasTracepoint('block_io_start'));
  });
});

describe('feature verdicts for other kernels (synthetic BTF)', () => {
  const old = KernelBtf.fromBuffer(fakeKernelBtf({ markVictim: 'pid', blockIoStart: false, ringbuf: true, switchPrevState: true, percpuLookup: true, threadInfoCpu: true }).build(), 'like-6.1');

  it('a pre-6.9 mark_victim(int pid) kernel gets the pid variant, reported as a fallback', () => {
    assert.equal(markVictimShape(old), 'pid');
    const report = tracerFeatureReport('oom', old);
    assert.equal(report.unavailable, undefined);
    assert.equal(report.verdicts.find((v) => v.id === FEATURES.markVictimTask.id)?.status, 'fallback');
    const chosen = selectOomProgram(OOM_SPEC, old);
    assert.equal(chosen.variant, 'pid');
    assert.equal(chosen.spec.object, 'kevents_oom_pid');
    assert.deepEqual(chosen.spec.tracepoints.at(-1), ['signal', 'signal_generate']);
    const modern = KernelBtf.fromBuffer(fakeKernelBtf(NEW_KERNEL).build(), 'like-6.9');
    assert.equal(selectOomProgram(OOM_SPEC, modern).spec.object, 'kevents_oom');
  });

  it('a pre-6.5 kernel without block_io_start: iotracing falls back to iot_rq_insert (block_rq_insert / block_rq_issue)', () => {
    const io = tracerFeatureReport('iotracing', old);
    assert.equal(io.unavailable, undefined, 'iotracing runs');
    const v = io.verdicts.find((x) => x.id === 'tp_btf:block_io_start');
    assert.equal(v?.status, 'fallback');
    assert.match(v?.fallback ?? '', /^iot_rq_insert: .*block_rq_insert.*block_rq_issue/);
    assert.equal(io.verdicts.find((x) => x.id === 'tp_btf:block_rq_insert')?.status, 'present');
    assert.equal(ioStartProgramFor(old), 'fallback');
    assert.deepEqual(startProgramAutoload(ioStartProgramFor(old)), { iot_io_start: false, iot_rq_insert: true });
    assert.equal(ioStartProgramFor(KernelBtf.fromBuffer(fakeKernelBtf(NEW_KERNEL).build(), 'like-6.9')), 'block_io_start');
    assert.equal(hasTracepoint('block_io_start', '/sys/kernel/btf/vmlinux'), true);
  });

  it('a 5.15-like kernel: the unavailable reason names every missing feature with its version', () => {
    const k515 = KernelBtf.fromBuffer(fakeKernelBtf({ markVictim: 'pid', blockIoStart: false, ringbuf: true, switchPrevState: false, percpuLookup: false, threadInfoCpu: false }).build(), 'like-5.15');
    const wr = tracerFeatureReport('waitrate', k515);
    assert.equal(wr.unavailable,
      'waitrate: this kernel lacks sched_switch passes prev_state (Linux 5.18+), task CPU in thread_info.cpu (Linux 5.16+), bpf_map_lookup_percpu_elem() helper (Linux 5.19+)');
    // block_io_start falls back; prev_state has no fallback.
    assert.equal(tracerFeatureReport('iotracing', k515).unavailable, 'iotracing: this kernel lacks sched_switch passes prev_state (Linux 5.18+)');
  });

  it('a kernel without ring buffers: the event tracers are unavailable, saying so', () => {
    const k57 = KernelBtf.fromBuffer(fakeKernelBtf({ ...NEW_KERNEL, ringbuf: false }).build(), 'like-5.7');
    for (const tracer of ['oom', 'hungtask', 'reclaim']) {
      assert.match(tracerFeatureReport(tracer, k57).unavailable ?? '', /BPF ring buffer map \(Linux 5\.8\+\)/);
    }
    assert.throws(() => selectOomProgram(OOM_SPEC, k57), { code: 'TRACER_UNAVAILABLE', message: /ring buffer/ });
  });

  it('no BTF at all: unavailable, naming the file and the config option', () => {
    assert.match(probeTracer('oom', '/nonexistent/btf').unavailable ?? '', /\/nonexistent\/btf.*CONFIG_DEBUG_INFO_BTF/);
  });
});

describe('tracer start on a kernel lacking a feature', () => {
  const noRingbuf = fakeKernelBtf({ ...NEW_KERNEL, ringbuf: false });

  it('hungtask: unavailable before loading anything, naming the feature and its kernel version', async () => {
    const tracer = new HungtaskTracer();
    tracer.spec = { ...tracer.spec, probe: { btfPath: noRingbuf.writeTemp() } };
    const ctx = testContext<HungtaskSettings>('hungtask', hungtaskSettingsSchema.parse({}), new AbortController().signal);
    await assert.rejects(tracer.start(ctx), { code: 'TRACER_UNAVAILABLE', message: 'hungtask: this kernel lacks BPF ring buffer map (Linux 5.8+)' });
    assert.equal(ctx.saved.length, 0);
  });

  it('oom: the same, through the variant choice', async () => {
    const tracer = new OomTracer();
    tracer.spec = { ...tracer.spec, probe: { btfPath: noRingbuf.writeTemp() } };
    const ctx = testContext<OomSettings>('oom', oomSettingsSchema.parse({}), new AbortController().signal);
    await assert.rejects(tracer.start(ctx), { code: 'TRACER_UNAVAILABLE', message: 'oom: this kernel lacks BPF ring buffer map (Linux 5.8+)' });
  });
});
