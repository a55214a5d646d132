// `autotracer dev <tracer>`: the agent with only that tracer, in a child process (a native
// crash cannot take the agent down), debug log, crash stacks mapped to the .ts source, and
// a rebuild + restart of just that tracer whenever its sources change: its folder
// (src/actors/tracers/<name>/) and its BPF files (src/native/bpf/<name>.*). The rebuild is
// the repo's own incremental build (scripts/build.mjs: clang for a changed .bpf.c, tsc -p
// incremental), so what runs is what `npm run build` would produce. A failed build is
// logged and the running tracer is left as it is. The restart goes through the supervisor
// as `tracers start` does: the crash budget is reset and the start is confirmed by a sign
// of life (or reported with its stack).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { FAULT_INJECTION_ENV } from '../../actors/protocol.js';
import { repoRoot } from '../../paths.js';
import type { LogLevel, Supervisor } from '../../supervisor/supervisor.js';
import { usageError } from '../errors.js';
import { runAgent } from '../run.js';

export interface DevOptions {
  /** Enable the fault API (AUTOTRACER_FAULT_INJECTION=1) for `autotracer fault`. */
  faults: boolean;
}

/** Edits arrive as bursts of events (an editor writes, renames, chmods): rebuild once after. */
const DEBOUNCE_MS = 300;

type Log = (level: LogLevel, msg: string) => void;

/** The source files of one tracer, relative to the repository root. */
export function tracerSourceDirs(name: string): { tracerDir: string; bpfDir: string } {
  return { tracerDir: join('src/actors/tracers', name), bpfDir: 'src/native/bpf' };
}

/** Is this file (a name inside src/native/bpf) one of the tracer's BPF files? */
export function isTracerBpfFile(name: string, file: string): boolean {
  return file.startsWith(`${name}.`) && /\.(bpf\.c|h|ts)$/.test(file);
}

export async function runDev(configFile: string | undefined, tracer: string, opts: DevOptions): Promise<number> {
  const { tracerDir } = tracerSourceDirs(tracer);
  if (!existsSync(join(repoRoot, 'tsconfig.json')) || !existsSync(join(repoRoot, 'scripts/build.mjs'))) {
    throw usageError(`dev needs a source checkout: no tsconfig.json or scripts/build.mjs in ${repoRoot}`, 'run it from a clone of the autotracer repository');
  }
  if (!existsSync(join(repoRoot, tracerDir))) {
    throw usageError(`no tracer sources at ${join(repoRoot, tracerDir)}`, `\`autotracer new-tracer ${tracer}\` scaffolds one`);
  }
  // Read by the HTTP server (the route exists or not) and by every actor it starts.
  if (opts.faults) process.env[FAULT_INJECTION_ENV] = '1';
  return runAgent(configFile, {
    only: [tracer],
    processIsolation: [tracer],
    debug: true,
    onStarted: (supervisor, log) => watchAndRestart(supervisor, tracer, log),
  });
}

/** Watches the tracer's sources; returns the function that stops watching. */
function watchAndRestart(supervisor: Supervisor, tracer: string, log: Log): () => void {
  const { tracerDir, bpfDir } = tracerSourceDirs(tracer);
  let timer: NodeJS.Timeout | undefined;
  let building = false;
  let again = false;
  let bpfChanged = false;
  const changed = (bpf: boolean): void => {
    bpfChanged ||= bpf;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void cycle(), DEBOUNCE_MS);
  };
  const cycle = async (): Promise<void> => {
    timer = undefined;
    if (building) {
      again = true;
      return;
    }
    building = true;
    const steps = bpfChanged ? ['bpf', 'ts'] : ['ts'];
    bpfChanged = false;
    try {
      await rebuildAndRestart(supervisor, tracer, steps, log);
    } finally {
      building = false;
      if (again) {
        again = false;
        void cycle();
      }
    }
  };
  const watchers: FSWatcher[] = [
    watch(join(repoRoot, tracerDir), { recursive: true }, (_event, file) => {
      if (file !== null && file.endsWith('.ts')) changed(false);
    }),
    watch(join(repoRoot, bpfDir), (_event, file) => {
      if (file !== null && isTracerBpfFile(tracer, file)) changed(!file.endsWith('.ts'));
    }),
  ];
  log('info', `dev: watching ${tracerDir}/ and ${bpfDir}/${tracer}.*; a change rebuilds and restarts ${tracer}`);
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    for (const w of watchers) w.close();
    const pid = buildChild?.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
}

async function rebuildAndRestart(supervisor: Supervisor, tracer: string, steps: string[], log: Log): Promise<void> {
  const started = Date.now();
  log('info', `dev: source changed, rebuilding (${steps.join(' + ')})`);
  const build = await runBuild(steps);
  if (build.code !== 0) {
    // tsc emits even with type errors; the tracer is not restarted on them, but a crash
    // restart would load what was emitted.
    log('error', `dev: build failed; ${tracer} is not restarted\n${build.output.trimEnd()}`);
    return;
  }
  log('info', `dev: rebuilt in ${Date.now() - started} ms, restarting ${tracer}`);
  try {
    const state = supervisor.tracerStatus(tracer).state;
    if (state !== 'stopped' && state !== 'unavailable' && state !== 'disabled' && state !== 'restarting') await supervisor.stopTracer(tracer);
    const status = await supervisor.startTracer(tracer);
    if (status.state === 'running') log('info', `dev: ${tracer} restarted (pid ${status.pid})`);
    else log('error', `dev: ${tracer} did not start: ${status.state} (${status.lastError?.message ?? status.stateReason ?? 'no error'})`);
  } catch (err) {
    log('error', `dev: restarting ${tracer} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The build running now, killed (by its pid, with its tsc/clang) when the agent stops. */
let buildChild: ChildProcess | undefined;

/** The repo's incremental build, asynchronously: the agent keeps running meanwhile. */
function runBuild(steps: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Its own process group, so a shutdown mid-build also stops the tsc or clang it runs.
    const child = spawn(process.execPath, [join(repoRoot, 'scripts/build.mjs'), ...steps], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    buildChild = child;
    child.once('exit', () => {
      if (buildChild === child) buildChild = undefined;
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (err) => resolve({ code: null, output: err.message }));
    child.once('close', (code) => resolve({ code, output }));
  });
}
