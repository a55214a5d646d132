// Every BPF object in build/bpf loads and attaches on this kernel, and close() releases
// its programs (the kernel frees them asynchronously, so poll bpftool).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { BpfObject, type ProgramInfo } from '../../src/native/index.js';
import { bpfObjectDir } from '../../src/paths.js';
import { findLibc } from '../../src/native/bpf/uprobe_count.js';
import { bpftoolProgs, waitFor } from '../support/host.js';

const objectNames = readdirSync(bpfObjectDir)
  .filter((f) => f.endsWith('.bpf.o'))
  .map((f) => f.slice(0, -'.bpf.o'.length))
  .sort();

/** The objects of src/native/bpf owned by the tracers (selftest belongs to the addon's tests). */
const OWN_OBJECTS = ['exec_events', 'profile', 'sched_count', 'syscall_events', 'uprobe_count'];

/** Attaches one program the way its section asks for. */
function attachProgram(object: BpfObject, program: ProgramInfo): void {
  if (program.section === 'perf_event') {
    assert.ok(object.attachPerfEvent(program.name, { frequency: 49 }) > 0);
  } else if (program.section === 'uprobe' || program.section === 'uretprobe') {
    // Target-less uprobe sections are attached by the caller: probe libc getppid.
    const libc = findLibc();
    assert.ok(libc, 'libc not found');
    object.attachUprobe(program.name, { binary: libc, symbol: 'getppid', retprobe: program.section === 'uretprobe' });
  } else {
    object.attach(program.name);
  }
}

describe('every BPF object loads and attaches', () => {
  it('build/bpf holds the objects', () => {
    for (const name of OWN_OBJECTS) {
      assert.ok(objectNames.includes(name), `${name}.bpf.o missing: run \`node scripts/build.mjs bpf\``);
    }
  });

  for (const name of objectNames) {
    it(name, async () => {
      // syscall_events refuses to flood: give it a target (this process).
      const rodata: Record<string, number> = name === 'syscall_events' ? { target_tgid: process.pid } : {};
      const object = BpfObject.openBuilt(name, { rodata });
      let ids: number[] = [];
      try {
        // SEC("?...") programs are opt-in (autoload off, id 0): e.g. the native selftest's
        // kprobe/fentry probes, which this kernel refuses. Name them, attach the rest.
        const programs = object.programs();
        const optIn = programs.filter((p) => p.id === 0);
        if (optIn.length > 0) console.log(`# ${name}: not autoloaded, not attached: ${optIn.map((p) => p.section).join(', ')}`);
        if (OWN_OBJECTS.includes(name)) assert.deepEqual(optIn, [], 'autotracer tracer programs are all autoloaded');
        const loadedPrograms = programs.filter((p) => p.id !== 0);
        assert.ok(loadedPrograms.length > 0, 'has loaded programs');
        for (const p of loadedPrograms) attachProgram(object, p);
        const attached = object.programs().filter((p) => p.id !== 0);
        assert.ok(attached.every((p) => p.attached), `attached: ${JSON.stringify(attached)}`);
        ids = attached.map((p) => p.id);
        const loaded = new Set(bpftoolProgs().map((p) => p.id));
        assert.ok(ids.every((id) => loaded.has(id)), 'bpftool lists the programs');
      } finally {
        object.close();
      }
      await waitFor(() => !bpftoolProgs().some((p) => ids.includes(p.id)), { timeoutMs: 3000, what: `${name}'s programs to be released` });
    });
  }
});
