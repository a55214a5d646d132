// glibc malloc controls of the addon (src/native/malloc.ts). Each case runs in a child
// process so that the runner's own threads and arenas do not matter: limitMallocArenas
// caps the arenas of threads started afterwards (the control without the cap must show
// more), trimMalloc returns freed heap pages that plain free() keeps resident.
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const mallocModule = new URL('../../src/native/malloc.js', import.meta.url).href;

/** glibc's non-main arenas in a /proc/<pid>/maps text: 64 MiB-aligned rw-p(+---p) reservations of exactly 64 MiB. */
function countMallocArenas(maps: string): number {
  const arena = 64n << 20n;
  const rows = maps.split('\n').map((l) => /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) 0+ 00:00 0\s*$/.exec(l));
  let n = 0;
  rows.forEach((m, i) => {
    if (m === null || m[3] !== 'rw-p') return;
    const start = BigInt(`0x${m[1]}`);
    const next = rows[i + 1];
    const end = next && next[3] === '---p' && next[1] === m[2] ? BigInt(`0x${next[2]}`) : BigInt(`0x${m[2]}`);
    if (start % arena === 0n && end - start === arena) n++;
  });
  return n;
}

function runChild(script: string, nodeArgs: string[] = []): string {
  const r = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, MALLOC_ARENA_MAX: undefined } });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return r.stdout.trim();
}

// 8 worker threads, as many as the agent's default actors, each allocating on its own.
const arenasScript = (cap: boolean): string => `
  import { Worker } from 'node:worker_threads';
  import { readFileSync } from 'node:fs';
    const { limitMallocArenas } = await import(${JSON.stringify(mallocModule)});
  const capped = ${cap} ? limitMallocArenas(2) : null;
  const workers = Array.from({ length: 8 }, () => new Worker("JSON.stringify(Array.from({ length: 50000 }, (_, i) => ({ i }))); setTimeout(() => {}, 3000)", { eval: true }));
  await Promise.all(workers.map((w) => new Promise((r) => w.once('online', r))));
  await new Promise((r) => setTimeout(r, 1000));
  console.log(JSON.stringify({ capped, maps: readFileSync('/proc/self/maps', 'utf8') }));
  process.exit(0);`;

describe('glibc malloc controls (addon)', () => {
  it('limitMallocArenas(2) before the threads start keeps them to the arenas already there; without it each gets one', () => {
    const capped = JSON.parse(runChild(arenasScript(true))) as { capped: boolean; maps: string };
    const free = JSON.parse(runChild(arenasScript(false))) as { capped: null; maps: string };
    assert.equal(capped.capped, true);
    const withCap = countMallocArenas(capped.maps);
    const without = countMallocArenas(free.maps);
    assert.ok(without >= 4, `control: only ${without} arenas without the cap (8 threads)`);
    assert.ok(withCap <= 2, `${withCap} non-main arenas with the cap (without: ${without})`);
  });

  it('trimMalloc returns the holes left by freed allocations to the kernel', () => {
    // 2000 × 60 KiB buffers come from the main arena (below the 128 KiB mmap threshold);
    // freeing every other one leaves ~60 MB of holes that free() cannot give back.
    const out = runChild(`
      import { readFileSync } from 'node:fs';
      const { trimMalloc } = await import(${JSON.stringify(mallocModule)});
      const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
      const keep = []; let drop = [];
      for (let i = 0; i < 2000; i++) (i % 2 ? drop : keep).push(Buffer.alloc(60 * 1024, 1));
      drop = null; globalThis.gc(); globalThis.gc();
      await new Promise((r) => setTimeout(r, 500));
      const before = anon(); const released = trimMalloc(); const after = anon();
      console.log(JSON.stringify({ before, after, released, kept: keep.length }));`, ['--expose-gc']);
    const r = JSON.parse(out) as { before: number; after: number; released: boolean };
    assert.equal(r.released, true);
    assert.ok(r.before - r.after > 40_000, `RssAnon ${r.before} -> ${r.after} kB after trimMalloc`);
  });
});
