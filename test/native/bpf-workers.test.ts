// Three worker threads, each with its own sched_switch counter and exec ring buffer at
// once: each must receive exactly its own N execs (filtered in BPF by comm prefix) and
// see its counter move.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ExecWorkerInput, ExecWorkerResult } from '../fixtures/bpf/exec-worker.js';
import { bpftoolProgs, waitFor } from '../support/host.js';

const WORKERS = 3;
const EXECS_PER_WORKER = 20;

function runWorker(input: ExecWorkerInput): Promise<ExecWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../fixtures/bpf/exec-worker.js', import.meta.url), { workerData: input });
    let result: ExecWorkerResult | undefined;
    worker.once('message', (m: ExecWorkerResult) => (result = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (result !== undefined && code === 0 ? resolve(result) : reject(new Error(`worker ${input.prefix} exited with ${code} without a result`))));
  });
}

describe('exec ring buffer + sched_switch counter in 3 workers at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-bpf-exec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`each worker receives exactly its own ${EXECS_PER_WORKER} execs`, async () => {
    const prefixes = Array.from({ length: WORKERS }, (_, i) => `atw${i + 1}-`);
    const results = await Promise.all(prefixes.map((prefix) => runWorker({ prefix, count: EXECS_PER_WORKER, dir })));

    results.forEach((r, i) => {
      const prefix = prefixes[i]!;
      assert.equal(r.records.length, EXECS_PER_WORKER, `worker ${prefix}: ${r.records.length} records: ${JSON.stringify(r.records.slice(0, 3))}`);
      assert.equal(r.dropped, 0, `worker ${prefix} dropped records`);
      assert.deepEqual(r.records.map((e) => e.tgid).sort(), [...r.spawnedPids].sort(), `worker ${prefix}: records are exactly its children`);
      for (const e of r.records) {
        assert.equal(e.comm, `${prefix}true`);
        assert.equal(e.filename, join(dir, `${prefix}true`));
        assert.equal(e.ppid, process.pid, 'children of this process (the worker shares its pid)');
      }
      assert.ok(BigInt(r.switches) > 0n, `worker ${prefix}: sched_switch counter is ${r.switches}`);
    });

    // Everything the workers loaded is gone once they have closed (freed asynchronously).
    const ids = new Set(results.flatMap((r) => r.programIds));
    assert.equal(ids.size, WORKERS * 2, 'each worker loaded its own two programs');
    await waitFor(() => !bpftoolProgs().some((p) => ids.has(p.id)), { timeoutMs: 3000, what: "the workers' programs to be released" });
  });
});
