// The built-in workload of `autotracer cost --ab`: two processes ping-ponging one byte over
// a pair of FIFOs, both pinned to one CPU (taskset, when installed), so every round trip is
// two context switches — the path per-switch BPF programs sit on. Node on both sides (the
// product ships no C compiler or perf): a round trip costs a few µs of syscalls, so a
// per-switch cost shows as a smaller share than under `perf bench sched pipe`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CostError } from './errors.js';

const PEER = fileURLToPath(new URL('./pingpong-peer.js', import.meta.url));

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

/** One run: round trips per second. */
export async function pingPong(loops: number, cpu = 0): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-pingpong-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const mk = spawnSync('mkfifo', [a, b]);
    if (mk.status !== 0) throw new CostError('COST_WORKLOAD_FAILED', `mkfifo failed: ${mk.stderr?.toString() ?? String(mk.error)}`);
    const pinned = hasTaskset();
    const run = (args: string[]) =>
      pinned ? spawn('taskset', ['-c', String(cpu), process.execPath, PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const echo = run([a, b, String(loops)]);
    const pinger = run([b, a, String(loops), 'first']);
    let out = '';
    let err = '';
    pinger.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    pinger.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exit = (c: typeof echo): Promise<number | null> => new Promise((resolve) => c.once('exit', (code) => resolve(code)));
    const [pc, ec] = await Promise.all([exit(pinger), exit(echo)]);
    const ops = Number(out.trim());
    if (pc !== 0 || ec !== 0 || !(ops > 0)) throw new CostError('COST_WORKLOAD_FAILED', `ping-pong failed (exit ${pc}/${ec}): ${err.trim()}`);
    return ops;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
