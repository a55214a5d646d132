// The tracer development loop through the real CLI: `run --only`, `autotracer fault` (and
// its refusal when fault injection is off), and `autotracer dev <tracer>` in a throw-away
// copy of the repository: only that tracer, in a child process, debug log; a fault's crash
// shows its source-mapped stack in `status --format json` and the log; an edit of the
// tracer's source is rebuilt and the tracer restarted on the new code; `tracers start` of a
// tracer that crashes at start reports the failure (exit 1, with the stack).
import { describe, it, before, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/paths.js';
import type { TracerView } from '../../src/cli/api-types.js';
import { makeTempDir, removeDir, runCli, startAgentProcess, waitFor, type AgentProcess } from './support.js';

describe('autotracer run --only', () => {
  let dir: string | undefined;
  let agent: AgentProcess | undefined;
  before(async () => {
    dir = makeTempDir();
    agent = await startAgentProcess(dir, { tracers: { example: { enabled: false }, memburst: { enabled: true } } }, { command: ['run', '--only', 'example'] });
  });
  after(async () => {
    await agent?.stop();
    removeDir(dir);
  });

  it('runs only the named tracers, even one the config has off', async () => {
    const list = await runCli(['tracers', 'list', '--format', 'json', '--api', agent!.base]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as TracerView[]).map((t) => [t.name, t.state]), [['example', 'running']]);
  });

  it('fault: refused with a hint when the agent runs without fault injection', async () => {
    const r = await runCli(['fault', 'example', 'throw', '--api', agent!.base, '--token-file', agent!.tokenFile]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /fault injection is off/);
    assert.match(r.stderr, /AUTOTRACER_FAULT_INJECTION=1|dev example --faults/);
  });

  it('an unknown tracer in --only is a configuration error (exit 2) naming the known ones', async () => {
    const r = await runCli(['run', '--only', 'example,nope', '--config', agent!.config]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown tracer "nope" \(known: example, /);
  });
});

/** src (addon build symlinked), scripts, test, bench, tsconfig, package.json and dist, timestamps kept, node_modules hard-linked: incremental builds stay incremental. */
function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-dev-'));
  const nativeBuild = join(repoRoot, 'src', 'native', 'build');
  const copy = (rel: string, filter?: (p: string) => boolean) =>
    cpSync(join(repoRoot, rel), join(dir, rel), { recursive: true, preserveTimestamps: true, ...(filter !== undefined ? { filter } : {}) });
  copy('src', (p) => p !== nativeBuild);
  symlinkSync(nativeBuild, join(dir, 'src', 'native', 'build'));
  for (const rel of ['scripts', 'test', 'bench', 'dist', 'tsconfig.json', 'package.json']) copy(rel);
  // Hard links, not a symlink: tsc resolves a symlinked node_modules to its real path, which
  // differs from the paths in the copied .tsbuildinfo, and would then rebuild everything.
  const linked = spawnSync('cp', ['-al', join(repoRoot, 'node_modules'), join(dir, 'node_modules')], { encoding: 'utf8' });
  assert.equal(linked.status, 0, linked.stderr);
  // Only TypeScript is rebuilt here (the example tracer has no BPF): the objects are shared.
  symlinkSync(join(repoRoot, 'build'), join(dir, 'build'));
  return dir;
}

describe('autotracer dev <tracer>', () => {
  let repo = '';
  let dir: string | undefined;
  let agent: AgentProcess | undefined;
  const api = (): string[] => ['--api', agent!.base, '--token-file', agent!.tokenFile];
  const example = async (): Promise<TracerView> => {
    const r = await runCli(['status', '--format', 'json', '--api', agent!.base]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { tracers: TracerView[] }).tracers.find((t) => t.name === 'example')!;
  };

  before(async () => {
    repo = copyRepo();
    dir = makeTempDir();
    agent = await startAgentProcess(dir, { tracers: { memburst: { enabled: true } } }, { command: ['dev', 'example', '--faults'], main: join(repo, 'dist/src/cli/main.js') });
  });
  after(async () => {
    await agent?.stop();
    removeDir(dir);
    if (repo !== '') rmSync(repo, { recursive: true, force: true });
  });

  it('runs only that tracer, in a child process, with the debug log', async () => {
    const list = await runCli(['tracers', 'list', '--format', 'json', '--api', agent!.base]);
    const tracers = JSON.parse(list.stdout) as TracerView[];
    assert.deepEqual(tracers.map((t) => [t.name, t.state, t.isolation]), [['example', 'running', 'process']]);
    assert.notEqual(tracers[0]!.pid, agent!.child.pid);
    assert.match(agent!.output(), / debug storage: /);
  });

  it('fault throw: status --format json and the log carry the code and the source-mapped stack', async () => {
    const r = await runCli(['fault', 'example', 'throw', ...api()]);
    assert.equal(r.code, 0, r.stderr);
    const crashed = await waitFor('the crash in status', async () => {
      const t = await example();
      return t.restarts >= 1 && t.lastError !== null ? t : undefined;
    });
    assert.equal(crashed.lastError!.code, 'UNCAUGHT_EXCEPTION');
    assert.equal(crashed.lastError!.message, 'injected fault: uncaught exception');
    // The runtime's own frame, mapped back to its TypeScript source.
    assert.match(crashed.lastError!.stack ?? '', /src\/actors\/runtime\.ts:\d+:\d+/);
    assert.match(agent!.output(), /\[example\] crashed \(uncaught-exception: injected fault: uncaught exception\); restart in \d+ ms\n\s+at .*src\/actors\/runtime\.ts:\d+/);
    await waitFor('running again', async () => (await example()).state === 'running');
  });

  it('an edit of the tracer is rebuilt and restarted; a start failure is reported with its stack', async () => {
    const source = join(repo, 'src/actors/tracers/example/index.ts');
    const original = readFileSync(source, 'utf8');
    const marker = '    while (!ctx.signal.aborted) {\n      // Detect';
    assert.ok(original.includes(marker), 'the example tracer changed: update this test');
    writeFileSync(source, original.replace(marker, "    if (ctx.name === 'example') throw new Error('edited in dev');\n" + marker));
    const line = original.slice(0, original.indexOf(marker)).split('\n').length; // of the inserted throw
    const crashed = await waitFor('the edited tracer crashing', async () => {
      const t = await example();
      return t.lastError?.message === 'edited in dev' ? t : undefined;
    }, 150_000);
    assert.match(crashed.lastError!.stack ?? '', new RegExp(`src/actors/tracers/example/index\\.ts:${line}:\\d+`));
    // The fast path: transpiled and restarted first, the whole-project type check after.
    assert.match(agent!.output(), /dev: transpiled 1 file\(s\) in \d+ ms, restarting example; type check follows/);
    await waitFor('the type check after the restart', async () => /dev: type check passed in \d+ ms/.test(agent!.output()), 150_000);
    // tsc wrote the same JavaScript as the fast transpile, so no second restart was needed.
    assert.doesNotMatch(agent!.output(), /differently from the fast transpile/);
    // `tracers start` now: not "running", but the failure, exit 1, with the stack.
    const start = await waitFor('a start failure', async () => {
      const r = await runCli(['tracers', 'start', 'example', ...api()], { timeoutMs: 60_000 });
      return /did not start/.test(r.stderr) ? r : undefined;
    }, 30_000);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /UNCAUGHT_EXCEPTION: edited in dev/);
    assert.match(start.stderr, new RegExp(`example/index\\.ts:${line}:`));
  });

  it('a type error does not hold up the restart: the tracer runs the edit, the log names the error', async (t) => {
    const source = join(repo, 'src/actors/tracers/example/index.ts');
    const edited = readFileSync(source, 'utf8');
    assert.ok(edited.includes("throw new Error('edited in dev')"), 'runs after the edit above');
    const before = agent!.output().length;
    const editedAt = Date.now();
    writeFileSync(source, edited.replace("throw new Error('edited in dev')", "throw new Error(`typed ${((): number => 'not a number')()}`)"));
    const crashed = await waitFor('the re-edited tracer crashing', async () => {
      const t = await example();
      return t.lastError?.message === 'typed not a number' ? t : undefined;
    }, 60_000);
    assert.equal(crashed.lastError!.code, 'UNCAUGHT_EXCEPTION');
    t.diagnostic(`edit → the tracer running it: ${Date.now() - editedAt} ms`);
    const log = await waitFor('the type check failing', async () => {
      const out = agent!.output().slice(before);
      return /dev: type check failed/.test(out) ? out : undefined;
    }, 150_000);
    t.diagnostic(`edit → type check verdict: ${Date.now() - editedAt} ms`);
    assert.match(log, /example runs the transpiled code as it is/);
    assert.match(log, /src\/actors\/tracers\/example\/index\.ts\(\d+,\d+\): error TS2322/);
    // The restart ran the edit before the type check's verdict, and only the edit (the
    // transpiled file loads as the ES module tsc would emit).
    const verdict = log.indexOf('dev: type check failed');
    assert.ok(log.indexOf('restarting example; type check follows') < verdict, log);
    assert.ok(log.indexOf('crashed (uncaught-exception: typed not a number)') < verdict, log);
    assert.doesNotMatch(log.slice(0, verdict), /crashed \((?!uncaught-exception: typed not a number)/);
  });
});
