// A second kernel: Debian bookworm's cloud kernel (6.1), booted under qemu (TCG) from a
// temp dir with an initramfs of our built BPF objects and a static libbpf loader
// (scripts/kernels/run.mjs). What really loads and attaches there must be what
// `doctor --btf <that kernel's vmlinux>` predicts from its BTF alone: every tracer it says
// can run has all its objects (after the variant choice) loading and attaching, and every
// tracer it says cannot run has one that the kernel refuses (iotracing runs there with its
// pre-6.5 start fallback, iot_rq_insert). Then a real OOM kill in the
// guest: both OOM programs (task and pre-6.9 pid variant) name the victim, its comm and its
// cgroup on that kernel. About 60 s on this VM.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctorReport } from '../../src/cli/doctor.js';
import { parseAgentConfig } from '../../src/config/load.js';
import { KernelBtf } from '../../src/native/btf.js';
import { markVictimShape } from '../../src/native/features.js';
import { ioStartProgramFor, startProgramAutoload } from '../../src/actors/tracers/iotracing/start-program.js';
import { repoRoot } from '../../src/paths.js';

interface QemuResult {
  load: 'ok' | 'fail';
  attach?: 'ok' | 'fail' | 'not-tried';
  errno?: number;
  prog?: string;
  why?: string;
  /** The programs loaded (SEC defaults: opt-in "?" programs stay out). */
  loaded?: string[];
}

interface QemuRun {
  kernel: string;
  release: string;
  vmlinux: string;
  seconds: number;
  bootSeconds: number;
  results: Record<string, QemuResult>;
  /** A real OOM kill in a 16 MiB cgroup of the guest, as each OOM program reported it. */
  oom: Record<string, Record<string, string>>;
}

describe('Debian 6.1 under qemu: BPF objects vs doctor\'s prediction', () => {
  const work = mkdtempSync(join(tmpdir(), 'autotracer-kernels-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('what loads on 6.1 is what doctor predicts from its BTF', async () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'kernels', 'run.mjs'), '--work', work], { encoding: 'utf8', timeout: 10 * 60 * 1000, maxBuffer: 16 * 1024 * 1024 });
    assert.equal(r.status, 0, `run.mjs failed: ${r.stderr.slice(-3000)}`);
    const run = JSON.parse(r.stdout) as QemuRun;
    console.log(`booted ${run.kernel} (${run.release}): ${run.seconds} s in all, ${run.bootSeconds} s in qemu`);
    assert.match(run.release, /^6\.1\./);

    const prediction = await doctorReport(parseAgentConfig({}), { kernelBtf: run.vmlinux });
    assert.equal(prediction.host[0]?.status, 'ok', prediction.host[0]?.detail);
    const rows: string[] = [];
    for (const t of prediction.tracers) {
      if (t.bpfObjects.length === 0) continue;
      const outcomes = t.bpfObjects.map((o) => ({ object: o, result: run.results[`${o}.bpf.o`] }));
      for (const { object, result } of outcomes) assert.ok(result, `${object}.bpf.o was not tried in the guest`);
      const refused = outcomes.filter(({ result }) => result!.load !== 'ok' || result!.attach !== 'ok');
      if (t.canRun) {
        assert.deepEqual(refused, [], `${t.name}: doctor says it runs on ${run.release}, but the kernel refused an object`);
      } else {
        assert.ok(refused.length > 0, `${t.name}: doctor says it cannot run (${t.reasons.join('; ')}), yet all its objects loaded`);
      }
      const fallbacks = t.checks.filter((c) => c.id.startsWith('feature.') && c.status === 'warn').map((c) => c.title.replace(/^kernel: /, ''));
      rows.push(`${t.name}: ${t.canRun ? (fallbacks.length > 0 ? `fallback (${fallbacks.join(', ')})` : 'loads') : `unavailable: ${t.reasons.join('; ')}`}; objects ${outcomes.map(({ object, result }) => `${object}=${result!.load}/${result!.attach}${result!.why !== undefined ? ` (${result!.why})` : ''}`).join(', ')}`);
    }
    console.log(rows.join('\n'));

    // The facts of this kernel that the prediction rests on.
    const btf = KernelBtf.load(run.vmlinux);
    assert.equal(btf.hasTracepoint('block_io_start'), false, 'block_io_start came in 6.5');
    // No block_io_start: iotracing runs with its start fallback, and the guest (SEC defaults)
    // loaded exactly the start program the agent chooses from this BTF.
    const io = prediction.tracers.find((t) => t.name === 'iotracing')!;
    assert.equal(io.canRun, true, io.reasons.join('; '));
    assert.equal(io.checks.find((c) => c.id === 'feature.iotracing.tp_btf:block_io_start')?.status, 'warn');
    assert.equal(ioStartProgramFor(btf), 'fallback');
    const ioResult = run.results['iotracing.bpf.o']!;
    console.log(`iotracing programs loaded on ${run.release}: ${ioResult.loaded?.join(', ')}`);
    assert.deepEqual([ioResult.load, ioResult.attach], ['ok', 'ok'], JSON.stringify(ioResult));
    for (const [program, on] of Object.entries(startProgramAutoload(ioStartProgramFor(btf)))) {
      assert.equal(ioResult.loaded?.includes(program), on, `${program} ${on ? 'loaded' : 'not loaded'} on 6.1: ${ioResult.loaded?.join(',')}`);
    }
    const oom = prediction.tracers.find((t) => t.name === 'oom')!;
    assert.deepEqual(oom.bpfObjects, [markVictimShape(btf) === 'task' ? 'kevents_oom' : 'kevents_oom_pid']);
    assert.equal(run.results['kevents_oom_pid.bpf.o']?.attach, 'ok', 'the pre-6.9 OOM variant attaches on 6.1');

    for (const object of ['kevents_oom.bpf.o', 'kevents_oom_pid.bpf.o']) {
      const o = run.oom[object];
      assert.ok(o, `${object}: no OOM line from the guest`);
      console.log(`OOM on ${run.release} via ${object}: ${JSON.stringify(o)}`);
      assert.equal(o.killed, 'SIGKILL', `${object}: the allocator was OOM-killed`);
      assert.equal(o.events, '1', `${object}: one event`);
      assert.equal(o.pid, o.child, `${object}: the victim's pid, not zero`);
      assert.equal(o.comm, 'oomvictim');
      assert.equal(o.cgroup_v2, o.cgroup, `${object}: the victim's cgroup (inode of the limited cgroup)`);
      assert.ok(Number(o.total_vm) > 0);
    }
  });
});
