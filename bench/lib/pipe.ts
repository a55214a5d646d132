// The context-switch-heavy workload every hot-path figure uses: two tasks ping-ponging one
// byte over a pair of pipes, pinned to one CPU, so every round trip is two context switches
// and four wake-ups. `perf bench sched pipe` when perf is installed; otherwise the same loop
// in a small C program compiled with gcc into a temp dir (removed at exit).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolFailed } from '../errors.js';

const PIPE_C = `
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
  long loops = argc > 1 ? atol(argv[1]) : 100000;
  int a[2], b[2]; char c = 0;
  if (pipe(a) || pipe(b)) return 1;
  struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid == 0) { for (long i = 0; i < loops; i++) { if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1) _exit(1); } _exit(0); }
  for (long i = 0; i < loops; i++) { if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) return 1; }
  waitpid(pid, NULL, 0); clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%ld ops/sec\\n", (long)(loops / s));
  return 0;
}
`;

let fallbackBinary: string | undefined;

function hasPerf(): boolean {
  return spawnSync('perf', ['bench', 'sched', 'pipe', '-l', '10'], { encoding: 'utf8' }).status === 0;
}

function compileFallback(): string {
  if (fallbackBinary !== undefined) return fallbackBinary;
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-bench-pipe-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pipe.c'), PIPE_C);
  const r = spawnSync('gcc', ['-O2', '-o', join(dir, 'pipe'), join(dir, 'pipe.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw toolFailed('gcc pipe.c', r.stderr || String(r.error));
  fallbackBinary = join(dir, 'pipe');
  return fallbackBinary;
}

let tool: 'perf' | 'c' | undefined;

/** Which implementation runs, for the report. */
export function pipeTool(): string {
  tool ??= hasPerf() ? 'perf' : 'c';
  return tool === 'perf' ? 'perf bench sched pipe' : 'pipe ping-pong (C, gcc)';
}

export interface PipeOptions {
  loops: number;
  /** CPU both tasks are pinned to. */
  cpu?: number;
  /** A v2 cgroup directory to run in (undefined: this process's cgroup). */
  cgroupDir?: string;
}

/**
 * The best of `n` runs, round trips per second. On this VM single runs are bimodal whatever
 * is attached (~110–115 k and ~135–150 k round trips/s with nothing at all), so a median of a
 * few runs mostly says which mode they landed in. Interference only ever slows a run down,
 * while a per-context-switch cost (a BPF program on the path) slows every run, the best one
 * included: the best of several short runs is the steadier estimate of that cost.
 */
export function pipeBestOf(n: number, options: PipeOptions): number {
  let best = 0;
  for (let i = 0; i < n; i++) best = Math.max(best, pipePingPong(options));
  return best;
}

/** One run; returns round trips per second. */
export function pipePingPong(options: PipeOptions): number {
  pipeTool();
  const command = tool === 'perf' ? `perf bench sched pipe -l ${options.loops}` : `${compileFallback()} ${options.loops}`;
  const move = options.cgroupDir === undefined ? '' : `echo $$ > ${join(options.cgroupDir, 'cgroup.procs')} && `;
  const script = `${move}exec taskset -c ${options.cpu ?? 0} ${command}`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw toolFailed(script, r.stderr || String(r.error));
  const m = /([\d,]+)\s+ops\/sec/.exec(r.stdout);
  if (!m) throw toolFailed(script, `cannot parse its output:\n${r.stdout}`);
  return Number(m[1]!.replace(/,/g, ''));
}
