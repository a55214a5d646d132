// `autotracer dev <tracer>`: the agent with only that tracer, in a child process (a native
// crash cannot take the agent down), debug log, crash stacks mapped to the .ts source, and
// a rebuild + restart of just that tracer whenever its sources change: its folder
// (src/actors/tracers/<name>/) and its BPF files (src/native/bpf/<name>.*).
//
// A change of .ts files only is transpiled file by file (dev-transpile.ts, milliseconds) and
// the tracer restarted at once; the repo's incremental build (scripts/build.mjs ts: the
// whole-project tsc, 20–40 s here) follows in the background and reports type errors
// without holding up the restart, and a file tsc emits differently from the fast transpile
// restarts the tracer once more, so what finally runs is tsc's output. A BPF change (clang)
// goes through the full build before the restart, as before. A failed build is logged and the
// running tracer is left as it is. The restart goes through the supervisor as `tracers
// start` does: the crash budget is reset and the start is confirmed by a sign of life (or
// reported with its stack).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { createFastTranspiler, differingFromDisk, type FastTranspiler, type TranspiledFile } from '../dev-transpile.js';
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
  const transpiler = createFastTranspiler(repoRoot);
  let timer: NodeJS.Timeout | undefined;
  let building = false;
  let again = false;
  let bpfChanged = false;
  const changedTs = new Set<string>();
  const changed = (bpf: boolean, tsFile?: string): void => {
    bpfChanged ||= bpf;
    if (tsFile !== undefined) changedTs.add(tsFile);
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
    const bpf = bpfChanged;
    const tsFiles = [...changedTs].filter((f) => existsSync(f));
    const removed = changedTs.size !== tsFiles.length;
    bpfChanged = false;
    changedTs.clear();
    try {
      // A removed file or a BPF change: only the full build knows what follows from it.
      if (bpf || removed || tsFiles.length === 0) await rebuildAndRestart(supervisor, tracer, bpf ? ['bpf', 'ts'] : ['ts'], log);
      else await transpileRestartThenCheck(supervisor, tracer, transpiler, tsFiles, log);
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
      if (file !== null && file.endsWith('.ts')) changed(false, join(repoRoot, tracerDir, file));
    }),
    watch(join(repoRoot, bpfDir), (_event, file) => {
      if (file !== null && isTracerBpfFile(tracer, file)) {
        if (file.endsWith('.ts')) changed(false, join(repoRoot, bpfDir, file));
        else changed(true);
      }
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

/** The fast path: transpile the changed files, restart, then type-check the whole project. */
async function transpileRestartThenCheck(supervisor: Supervisor, tracer: string, transpiler: FastTranspiler, sources: string[], log: Log): Promise<void> {
  const started = Date.now();
  let files: TranspiledFile[];
  try {
    files = transpiler.transpile(sources);
  } catch (err) {
    log('error', `dev: transpiling failed (${err instanceof Error ? err.message : String(err)}); falling back to the full build`);
    await rebuildAndRestart(supervisor, tracer, ['ts'], log);
    return;
  }
  log('info', `dev: transpiled ${files.length} file(s) in ${Date.now() - started} ms, restarting ${tracer}; type check follows`);
  await restartTracer(supervisor, tracer, log);
  const checkStarted = Date.now();
  const build = await runBuild(['ts']);
  if (build.code !== 0) {
    log('error', `dev: type check failed in ${Date.now() - checkStarted} ms; ${tracer} runs the transpiled code as it is\n${build.output.trimEnd()}`);
    return;
  }
  const differing = differingFromDisk(files);
  if (differing.length === 0) {
    log('info', `dev: type check passed in ${Date.now() - checkStarted} ms`);
    return;
  }
  log('info', `dev: type check passed in ${Date.now() - checkStarted} ms; tsc emitted ${differing.map((f) => f.output.slice(repoRoot.length + 1)).join(', ')} differently from the fast transpile, restarting ${tracer} on tsc's output`);
  await restartTracer(supervisor, tracer, log);
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
  await restartTracer(supervisor, tracer, log);
}

async function restartTracer(supervisor: Supervisor, tracer: string, log: Log): Promise<void> {
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
