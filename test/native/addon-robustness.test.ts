// The native addon's robustness rules (docs/native-addon.md): GC pinning, release on
// worker exit/terminate, throwing callbacks, use after close, error codes, and native
// crash containment in a child process. Real BPF on the real kernel.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { BpfError, BpfObject, type BpfErrorCode } from '../../src/native/index.js';
import { execLoop, linkedProgramIds, loadedProgramIds, waitFor } from '../fixtures/native/helpers.js';
import type { RingWorkerMessage } from '../fixtures/native/ring-worker.js';

const fixture = (name: string): string => new URL(`../fixtures/native/${name}`, import.meta.url).pathname;

function assertBpfError(fn: () => unknown, code: BpfErrorCode, message?: RegExp): BpfError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BpfError, `expected BpfError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(typeof caught.errno, 'number');
  assert.equal(typeof caught.libbpfMessage, 'string');
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}

/** Waits until none of `ids` is loaded or linked, polling for up to `timeoutMs` (the kernel frees asynchronously). */
async function assertReleased(ids: number[], timeoutMs = 1000): Promise<void> {
  assert.ok(ids.length > 0, 'no program ids to check');
  const gone = await waitFor(() => {
    const loaded = loadedProgramIds();
    const linked = linkedProgramIds();
    return ids.every((id) => !loaded.has(id) && !linked.has(id));
  }, timeoutMs);
  const loaded = loadedProgramIds();
  assert.ok(gone, `programs still loaded after ${timeoutMs} ms: ${ids.filter((id) => loaded.has(id)).join(', ')}`);
}

describe('rule 1: an attached object is pinned against GC until close()', () => {
  it('keeps links through gc() with no JS reference, releases the pin on close, collects unpinned objects', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', fixture('gc-pin.js')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    assert.equal(result.linkedAfterGc, true, 'the dropped, attached object lost its link');
    assert.equal(result.liveAfterDrop, 1, 'the dropped, attached object was finalized');
    assert.equal(result.countedWhileAttached, true, 'sched_switch counter did not move');
    assert.equal(result.liveAfterClose, 1, 'a closed object stayed pinned (only the first, attached one should be live)');
    assert.equal(result.liveAfterUnpinnedDrop, 1, 'an object that never attached was not collected');
    assert.equal(result.unpinnedUnloaded, true, 'the finalizer of an unpinned object did not unload it');
    assert.equal(result.closedUnloaded, true, 'close() did not unload the programs');
    // The child exited with the pinned object attached: the kernel must have dropped it.
    return assertReleased([result.pinnedProgId as number]);
  });
});

interface WorkerRun {
  worker: Worker;
  ready: Promise<number[]>;
  batches: () => number;
  errors: Error[];
  exited: Promise<number>;
}

function startRingWorker(behaviour: 'poll' | 'throw' | 'exit'): WorkerRun {
  const worker = new Worker(fixture('ring-worker.js'), { workerData: { behaviour } });
  let records = 0;
  const errors: Error[] = [];
  const ready = new Promise<number[]>((resolve, reject) => {
    worker.on('message', (msg: RingWorkerMessage) => {
      switch (msg.kind) {
        case 'ready':
          resolve(msg.programIds);
          return;
        case 'batch':
          records += msg.records;
          return;
        default: {
          const _never: never = msg;
          throw new Error(`unexpected message ${JSON.stringify(_never)}`);
        }
      }
    });
    // Not rejected on 'error': a 'throw' worker's error can overtake its 'ready' message,
    // which Node still delivers before 'exit' (it drains the port first).
    worker.on('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
  worker.on('error', (err) => errors.push(err));
  const exited = new Promise<number>((resolve) => worker.on('exit', resolve));
  return { worker, ready, batches: () => records, errors, exited };
}

describe('rule 2: worker exit or terminate() releases programs, links and uv handles', () => {
  for (let round = 1; round <= 3; round++) {
    it(`round ${round}: terminate() while attached and polling under exec traffic`, async (t) => {
      const load = execLoop();
      const run = startRingWorker('poll');
      t.after(async () => {
        await load.stop();
        await run.worker.terminate();
      });
      const ids = await run.ready;
      assert.ok(await waitFor(() => run.batches() >= 3, 10_000), `no ring buffer traffic reached the worker (${run.batches()} records)`);
      await run.worker.terminate();
      assert.equal(await run.exited, 1);
      await load.stop();
      assert.deepEqual(run.errors, []);
      await assertReleased(ids);
    });
  }

  it('three workers and the main thread at once, each with its own addon instance, then terminate all', async (t) => {
    const load = execLoop();
    const runs = [startRingWorker('poll'), startRingWorker('poll'), startRingWorker('poll')];
    const main = BpfObject.openBuilt('selftest', { autoload: { on_switch: false, on_uprobe: false, on_cpu_clock: false } });
    t.after(async () => {
      main.close();
      await load.stop();
      await Promise.all(runs.map((run) => run.worker.terminate()));
    });
    main.attach();
    let mainRecords = 0;
    main.openRingBuffer('events', (records) => (mainRecords += records.length));
    const ids = (await Promise.all(runs.map((run) => run.ready))).flat();
    assert.equal(new Set(ids).size, ids.length, 'workers share program ids: objects are not per environment');
    assert.ok(
      await waitFor(() => mainRecords >= 3 && runs.every((run) => run.batches() >= 3), 10_000),
      `traffic: main ${mainRecords}, workers ${runs.map((run) => run.batches()).join('/')}`,
    );
    await Promise.all(runs.map((run) => run.worker.terminate()));
    await assertReleased(ids);
    const before = mainRecords;
    assert.ok(await waitFor(() => mainRecords > before, 5000), 'the main thread stopped receiving after the workers ended');
    await load.stop();
  });

  it('4 workers x 10 open/attach/ring/perf/close cycles, then terminate: no fd left behind', async () => {
    // BPF fds are process-wide: a leak in any worker shows up in this process's fd table.
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const baseline = fds();
    const workers = Array.from({ length: 4 }, () => new Worker(fixture('cycles-worker.js'), { workerData: { cycles: 10 } }));
    const errors: Error[] = [];
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.on('error', (err) => {
        errors.push(err);
        reject(err);
      });
      w.on('message', () => resolve());
    })));
    assert.ok(fds() > baseline, 'the workers hold no fds: the check below would prove nothing');
    await Promise.all(workers.map((w) => w.terminate()));
    assert.deepEqual(errors, []);
    assert.ok(await waitFor(() => fds() <= baseline, 2000), `fds: ${baseline} before, ${fds()} after`);
  });

  it('process.exit() inside the worker, from a ring buffer callback', async (t) => {
    const load = execLoop();
    const run = startRingWorker('exit');
    t.after(async () => {
      await load.stop();
      await run.worker.terminate();
    });
    const ids = await run.ready;
    assert.equal(await run.exited, 0);
    await load.stop();
    await assertReleased(ids);
  });
});

describe('rule 3: a throwing onRecords surfaces as an uncaught exception, never an abort', () => {
  it("in a worker: the worker's 'error' event, then its programs are released", async (t) => {
    const load = execLoop();
    const run = startRingWorker('throw');
    t.after(async () => {
      await load.stop();
      await run.worker.terminate();
    });
    const ids = await run.ready;
    const code = await run.exited;
    await load.stop();
    assert.equal(code, 1);
    assert.equal(run.errors.length, 1);
    assert.match(run.errors[0]?.message ?? '', /boom from onRecords/);
    await assertReleased(ids);
  });

  it("on a main thread: process 'uncaughtException'", () => {
    const run = spawnSync(process.execPath, [fixture('throw-main.js')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.signal, null, `child died of ${run.signal}: ${run.stderr}`);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /"caught":"boom on the main thread"/);
  });

  it('ring.consume() from JS rethrows the callback error to the caller', async (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: { on_switch: false, on_uprobe: false, on_cpu_clock: false } });
    t.after(() => obj.close());
    obj.attach();
    const ring = obj.openRingBuffer('events', () => {
      throw new Error('thrown to consume()');
    }, { mode: 'periodic', periodMs: 3_600_000 });
    spawnSync('/bin/true');
    assert.throws(() => ring.consume(), /thrown to consume\(\)/);
    ring.close();
  });
});

describe('rule 4: close() is idempotent and everything after it throws BPF_OBJECT_CLOSED', () => {
  it('close twice, then every method', () => {
    const obj = BpfObject.openBuilt('selftest');
    obj.attach();
    const map = obj.map('scratch');
    const ring = obj.openRingBuffer('events', () => undefined);
    obj.close();
    obj.close();
    assert.equal(obj.closed, true);
    const key = Buffer.alloc(4);
    const calls: Array<[string, () => unknown]> = [
      ['programs', () => obj.programs()],
      ['maps', () => obj.maps()],
      ['attach', () => obj.attach()],
      ['attachUprobe', () => obj.attachUprobe('on_uprobe', { binary: '/bin/true', offset: 0 })],
      ['attachPerfEvent', () => obj.attachPerfEvent('on_cpu_clock', { frequency: 99 })],
      ['detach', () => obj.detach()],
      ['map', () => obj.map('scratch')],
      ['openRingBuffer', () => obj.openRingBuffer('events', () => undefined)],
      ['programStats', () => obj.programStats()],
      ['map.lookup', () => map.lookup(key)],
      ['map.update', () => map.update(key, Buffer.alloc(8))],
      ['map.delete', () => map.delete(key)],
      ['map.keys', () => map.keys()],
      ['map.entries', () => map.entries()],
      ['map.lookupBatch', () => map.lookupBatch()],
      ['ring.consume', () => ring.consume()],
    ];
    for (const [name, call] of calls) {
      assert.throws(call, (err: unknown) => err instanceof BpfError && err.code === 'BPF_OBJECT_CLOSED', `${name} after close()`);
    }
    ring.close(); // harmless after the object closed it
    assert.equal(ring.dropped, 0);
  });
});

describe('rule 4b: closing from inside onRecords', () => {
  for (const mode of ['poll', 'periodic'] as const) {
    it(`${mode} mode: obj.close() inside the callback stops delivery and frees everything`, async (t) => {
      const obj = BpfObject.openBuilt('selftest', { autoload: { on_switch: false, on_uprobe: false, on_cpu_clock: false } });
      t.after(() => obj.close());
      obj.attach();
      const ids = obj.programs().filter((p) => p.id > 0).map((p) => p.id);
      let calls = 0;
      let callsAtClose = -1;
      const ring = obj.openRingBuffer('events', () => {
        calls++;
        if (callsAtClose >= 0) return; // a re-entrant delivery from the consume() below
        ring.consume(); // re-entrant consume inside the callback is allowed
        obj.close();
        callsAtClose = calls;
      }, { mode, periodMs: 5 });
      const load = execLoop();
      t.after(() => load.stop());
      assert.ok(await waitFor(() => calls > 0, 5000), 'no delivery');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await load.stop();
      assert.equal(calls, callsAtClose, 'delivered after close()');
      assert.equal(obj.closed, true);
      assert.ok(ring.delivered >= 1);
      await assertReleased(ids);
    });
  }
});

describe('rule 5: every error path returns its code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-addon-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('BPF_OPEN_FAILED: missing file, garbage file, missing built object', () => {
    const missing = assertBpfError(() => BpfObject.open(join(dir, 'missing.bpf.o')), 'BPF_OPEN_FAILED', /missing\.bpf\.o/);
    assert.equal(missing.errno, 2);
    const garbage = join(dir, 'garbage.bpf.o');
    writeFileSync(garbage, 'this is not an ELF file\n'.repeat(100));
    assertBpfError(() => BpfObject.open(garbage), 'BPF_OPEN_FAILED');
    assertBpfError(() => BpfObject.openBuilt('no_such_tracer'), 'BPF_OPEN_FAILED', /npm run build/);
  });

  it('BPF_LOAD_FAILED: an fentry program on a locked-down kernel (EPERM), with libbpf text', () => {
    const err = assertBpfError(() => BpfObject.openBuilt('selftest', { autoload: { fentry_vfs_read: true } }), 'BPF_LOAD_FAILED');
    assert.equal(err.errno, 1);
    assert.match(err.libbpfMessage, /fentry_vfs_read/);
  });

  it('BPF_ATTACH_UNSUPPORTED: a kprobe (ENOENT: no kprobes here); the object stays usable', (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: { kprobe_vfs_read: true } });
    t.after(() => obj.close());
    const err = assertBpfError(() => obj.attach('kprobe_vfs_read'), 'BPF_ATTACH_UNSUPPORTED');
    assert.equal(err.errno, 2);
    // attach() of everything is all-or-nothing: the kprobe fails, nothing stays attached.
    assertBpfError(() => obj.attach(), 'BPF_ATTACH_UNSUPPORTED');
    assert.deepEqual(obj.programs().filter((p) => p.attached), []);
    obj.attach('on_exec');
    assert.deepEqual(obj.programs().filter((p) => p.attached).map((p) => p.name), ['on_exec']);
  });

  it('BPF_ATTACH_FAILED: a program that is not loaded, or names no target', (t) => {
    const obj = BpfObject.openBuilt('selftest', { autoload: { on_switch: false } });
    t.after(() => obj.close());
    assertBpfError(() => obj.attach('on_switch'), 'BPF_ATTACH_FAILED', /not loaded/);
    assertBpfError(() => obj.attach('on_uprobe'), 'BPF_ATTACH_FAILED', /attachUprobe/);
    assertBpfError(() => obj.attachUprobe('on_uprobe', { binary: '/bin/true', symbol: 'no_such_symbol_here' }), 'BPF_ATTACH_UNSUPPORTED');
  });

  it('BPF_PROGRAM_NOT_FOUND / BPF_MAP_NOT_FOUND / BPF_RODATA_NOT_FOUND', (t) => {
    assertBpfError(() => BpfObject.openBuilt('selftest', { autoload: { nope: true } }), 'BPF_PROGRAM_NOT_FOUND');
    assertBpfError(() => BpfObject.openBuilt('selftest', { mapSizes: { nope: 8 } }), 'BPF_MAP_NOT_FOUND');
    assertBpfError(() => BpfObject.openBuilt('selftest', { rodata: { nope: 1 } }), 'BPF_RODATA_NOT_FOUND', /nope/);
    const obj = BpfObject.openBuilt('selftest');
    t.after(() => obj.close());
    assertBpfError(() => obj.attach('nope'), 'BPF_PROGRAM_NOT_FOUND');
    assertBpfError(() => obj.detach('nope'), 'BPF_PROGRAM_NOT_FOUND');
    assertBpfError(() => obj.attachPerfEvent('nope', { frequency: 99 }), 'BPF_PROGRAM_NOT_FOUND');
    assertBpfError(() => obj.map('nope'), 'BPF_MAP_NOT_FOUND');
    assertBpfError(() => obj.openRingBuffer('nope', () => undefined), 'BPF_MAP_NOT_FOUND');
  });

  it('BPF_INVALID_ARGUMENT: wrong key/value sizes, rodata sizes and ranges, bad options', (t) => {
    assertBpfError(() => BpfObject.openBuilt('selftest', { rodata: { target_tgid: Buffer.alloc(8) } }), 'BPF_INVALID_ARGUMENT', /4 bytes/);
    assertBpfError(() => BpfObject.openBuilt('selftest', { rodata: { target_tgid: 2 ** 32 } }), 'BPF_INVALID_ARGUMENT', /range/);
    assertBpfError(() => BpfObject.openBuilt('selftest', { rodata: { target_tgid: 1.5 } }), 'BPF_INVALID_ARGUMENT');
    assertBpfError(() => BpfObject.openBuilt('selftest', { mapSizes: { scratch: 0 } }), 'BPF_INVALID_ARGUMENT');
    const obj = BpfObject.openBuilt('selftest');
    t.after(() => obj.close());
    const scratch = obj.map('scratch');
    assertBpfError(() => scratch.lookup(Buffer.alloc(8)), 'BPF_INVALID_ARGUMENT', /key has 8 bytes, the map wants 4/);
    assertBpfError(() => scratch.update(Buffer.alloc(4), Buffer.alloc(4)), 'BPF_INVALID_ARGUMENT', /value has 4 bytes/);
    assertBpfError(() => scratch.delete(Buffer.alloc(2)), 'BPF_INVALID_ARGUMENT');
    assertBpfError(() => scratch.lookupPerCpu(Buffer.alloc(4)), 'BPF_INVALID_ARGUMENT', /not per-CPU/);
    assertBpfError(() => obj.map('switch_count').lookup(Buffer.alloc(4)), 'BPF_INVALID_ARGUMENT', /per-CPU/);
    assertBpfError(() => obj.map('switch_count').update(Buffer.alloc(4), [Buffer.alloc(8)]), 'BPF_INVALID_ARGUMENT', /per-CPU values/);
    assertBpfError(() => obj.openRingBuffer('scratch', () => undefined), 'BPF_INVALID_ARGUMENT', /not a ring buffer/);
    assertBpfError(() => obj.attachPerfEvent('on_cpu_clock', { frequency: 0 }), 'BPF_INVALID_ARGUMENT');
    assertBpfError(() => scratch.stackTrace(1), 'BPF_INVALID_ARGUMENT');
  });

  it('BPF_MAP_OP_FAILED: update flags noexist/exist and ops a ring buffer does not support', (t) => {
    const obj = BpfObject.openBuilt('selftest');
    t.after(() => obj.close());
    const scratch = obj.map('scratch');
    const key = Buffer.from([7, 0, 0, 0]);
    assert.equal(assertBpfError(() => scratch.update(key, Buffer.alloc(8), 'exist'), 'BPF_MAP_OP_FAILED').errno, 2);
    scratch.update(key, Buffer.alloc(8), 'noexist');
    assert.equal(assertBpfError(() => scratch.update(key, Buffer.alloc(8), 'noexist'), 'BPF_MAP_OP_FAILED').errno, 17);
    assertBpfError(() => obj.map('events').keys(), 'BPF_MAP_OP_FAILED');
  });

  it('BPF_PERF_EVENT_FAILED: a cgroup path that does not exist, a CPU that does not exist', (t) => {
    const obj = BpfObject.openBuilt('selftest');
    t.after(() => obj.close());
    assertBpfError(() => obj.attachPerfEvent('on_cpu_clock', { frequency: 99, cgroupPath: join(dir, 'no-such-cgroup') }), 'BPF_PERF_EVENT_FAILED');
    assertBpfError(() => obj.attachPerfEvent('on_cpu_clock', { frequency: 99, cpus: [0, 4095] }), 'BPF_PERF_EVENT_FAILED', /cpu 4095/);
    // The failed call rolled back the CPU 0 link it had made.
    assert.equal(obj.programs().find((p) => p.name === 'on_cpu_clock')?.attached, false);
  });
});

describe('rule 6: a native crash is contained by a child process', () => {
  it('crash() in a child ends it with SIGSEGV; this process is fine', () => {
    const run = spawnSync(process.execPath, [fixture('crash.js')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.signal, 'SIGSEGV', `status ${run.status}, stderr: ${run.stderr}`);
    assert.match(run.stdout, /about to crash/);
    assert.doesNotMatch(run.stdout, /still alive/);
    assert.equal(BpfObject.openBuilt('selftest').closed, false);
  });
});
