// `autotracer new-tracer`: scaffolds into a temporary copy of the repository, then the
// scaffold must compile (tsc with the repo's compiler options; clang through the repo's own
// scripts/build.mjs, so the flags are the real ones) and its generated test must pass on
// the real kernel. Bad and taken names are refused; the catalog edit is idempotent. It also
// lists the tracer in the doctor's requirements, docs/config.md and ops/config.example.json,
// so the tests that check those (config-example, doctor) pass in the copy right after.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/paths.js';
import { catalogNames, insertIntoCatalog, runNewTracer, scaffoldTracer, NewTracerError } from '../../src/cli/new-tracer.js';
import { SCAFFOLD_MARK, tracerNames } from '../../src/cli/templates/tracer.js';

const NAME = 'exec_probe';

/** src (addon build symlinked), test/support, tsconfig.json, scripts/; node_modules symlinked; build/bpf private. */
function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-scaffold-'));
  const nativeBuild = join(repoRoot, 'src', 'native', 'build');
  cpSync(join(repoRoot, 'src'), join(dir, 'src'), { recursive: true, filter: (p) => p !== nativeBuild });
  symlinkSync(nativeBuild, join(dir, 'src', 'native', 'build'));
  cpSync(join(repoRoot, 'test', 'support'), join(dir, 'test', 'support'), { recursive: true });
  // The tests a new tracer used to turn red, with what they read: they must pass in the copy.
  cpSync(join(repoRoot, 'test', 'ops'), join(dir, 'test', 'ops'), { recursive: true });
  cpSync(join(repoRoot, 'test', 'http', 'support.ts'), join(dir, 'test', 'http', 'support.ts'));
  for (const f of ['docs/config.md', 'ops/config.example.json']) cpSync(join(repoRoot, f), join(dir, f));
  cpSync(join(repoRoot, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  // "type": "module": without it the compiled ESM would load as CommonJS.
  cpSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  cpSync(join(repoRoot, 'scripts'), join(dir, 'scripts'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  // build/ is not shared as a whole: build.mjs would write the new object into the real one.
  mkdirSync(join(dir, 'build', 'bpf'), { recursive: true });
  for (const f of ['vmlinux.h', 'vmlinux.kernel']) cpSync(join(repoRoot, 'build', 'bpf', f), join(dir, 'build', 'bpf', f));
  return dir;
}

function run(cmd: string, args: string[], cwd: string, timeout = 180_000): { status: number | null; out: string } {
  // Without NODE_TEST_CONTEXT a child `node --test` runs its files instead of reporting to us.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('new-tracer', () => {
  let dir = '';
  before(() => {
    dir = copyRepo();
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad names and taken names', async () => {
    for (const bad of ['a', 'A_tracer', '1abc', 'has-dash', 'x'.repeat(32), 'exec.probe', '']) {
      assert.throws(() => scaffoldTracer(bad, { dir, force: false }), (e: NewTracerError) => e.code === 'NEW_TRACER_BAD_NAME', bad);
    }
    for (const taken of ['cpusys', 'example', 'waitrate']) {
      assert.throws(() => scaffoldTracer(taken, { dir, force: true }), (e: NewTracerError) => e.code === 'NEW_TRACER_EXISTS', taken);
    }
    // Not a tracer, but its BPF object name is taken: never overwritten, even with force.
    assert.throws(() => scaffoldTracer('profile', { dir, force: true }), (e: NewTracerError) => e.code === 'NEW_TRACER_EXISTS' && /profile\.bpf\.c/.test(e.message));
    assert.equal(await runNewTracer('Bad', { dir, force: false }), 2);
    assert.equal(await runNewTracer('ok_name', { dir: join(dir, 'nope'), force: false }), 2);
    assert.equal(readFileSync(join(dir, 'src/actors/tracers/catalog.ts'), 'utf8'), readFileSync(join(repoRoot, 'src/actors/tracers/catalog.ts'), 'utf8'), 'nothing written');
  });

  it('scaffolds, lists it in the catalog once, and refuses to overwrite without force', async () => {
    assert.equal(await runNewTracer(NAME, { dir, force: false }), 0);
    const catalog = readFileSync(join(dir, 'src/actors/tracers/catalog.ts'), 'utf8');
    const sharedAfterFirst: Record<string, string> = Object.fromEntries(
      ['src/cli/doctor-requirements.ts', 'docs/config.md', 'ops/config.example.json'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    assert.ok(catalogNames(catalog).includes(NAME));
    assert.deepEqual(insertIntoCatalog(catalog, tracerNames(NAME)), { kind: 'present' });
    assert.throws(() => scaffoldTracer(NAME, { dir, force: false }), (e: NewTracerError) => e.code === 'NEW_TRACER_EXISTS' || e.code === 'NEW_TRACER_FILES_EXIST');
    assert.equal(await runNewTracer(NAME, { dir, force: false }), 2);
    // --force regenerates a scaffolded tracer; the catalog keeps exactly one entry.
    // A file of that name that the scaffold did not write is never replaced, even with --force.
    const header = join(dir, `src/native/bpf/${NAME}.h`);
    writeFileSync(header, 'garbage');
    assert.throws(() => scaffoldTracer(NAME, { dir, force: true }), (e: NewTracerError) => e.code === 'NEW_TRACER_EXISTS' && e.message.includes(`${NAME}.h`));
    writeFileSync(header, `/* ${SCAFFOLD_MARK} */ garbage`);
    assert.equal(await runNewTracer(NAME, { dir, force: true }), 0);
    assert.match(readFileSync(join(dir, `src/native/bpf/${NAME}.h`), 'utf8'), /struct exec_probe_counts/);
    const again = readFileSync(join(dir, 'src/actors/tracers/catalog.ts'), 'utf8');
    assert.equal(again, catalog);
    assert.equal(again.split(`'./${NAME}/index.js'`).length - 1, 1);
    // The other shared files were edited once too, and a re-run leaves them alone.
    for (const [file, needle] of [['src/cli/doctor-requirements.ts', `${NAME}: {`], ['docs/config.md', `\`tracers.${NAME}.settings.threshold\``], ['ops/config.example.json', `"${NAME}": {`]] as const) {
      assert.equal(sharedAfterFirst[file], readFileSync(join(dir, file), 'utf8'), `${file} changed on the re-run`);
      assert.equal(sharedAfterFirst[file]!.split(needle).length - 1, 1, `${file} lists ${NAME} once`);
    }
  });

  it('the scaffold compiles: tsc with the repo options, clang through scripts/build.mjs', () => {
    // tsc on the scaffold, the catalog (which now imports it) and the config schema, with the
    // repo's compiler options; unrelated files of the copy stay out (others may be mid-edit).
    writeFileSync(join(dir, 'tsconfig.scaffold.json'), JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
      include: [`src/actors/tracers/${NAME}/**/*.ts`, `src/native/bpf/${NAME}.ts`, 'src/actors/tracers/catalog.ts', 'src/config/load.ts', `test/${NAME}/**/*.ts`,
        'test/ops/config-example.test.ts', 'test/ops/doctor.test.ts', 'test/ops/doctor-runner.ts', 'src/storage/actor.ts', 'src/actors/entry-*.ts'],
    }));
    const tsc = run(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.scaffold.json'], dir);
    assert.equal(tsc.status, 0, tsc.out);
    // Existing objects copied now (newer than every source) so build.mjs compiles only the new one.
    for (const f of readdirSync(join(repoRoot, 'build', 'bpf')).filter((f) => f.endsWith('.bpf.o'))) {
      cpSync(join(repoRoot, 'build', 'bpf', f), join(dir, 'build', 'bpf', f));
    }
    const bpf = run(process.execPath, [join(dir, 'scripts/build.mjs'), 'bpf'], dir);
    assert.equal(bpf.status, 0, bpf.out);
    assert.match(bpf.out, new RegExp(`compiling ${NAME}\\.bpf\\.c`));
    assert.doesNotMatch(bpf.out, /compiling profile\.bpf\.c/);
  });

  it('the config schema knows the new tracer, opt-in', () => {
    const r = run(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(join(dir, 'dist/src/config/load.js'))}); console.log(JSON.stringify(m.parseAgentConfig({}).tracers.${NAME}));`], dir);
    assert.equal(r.status, 0, r.out);
    const entry = JSON.parse(r.out) as { enabled: boolean; settings: { threshold: number } };
    assert.equal(entry.enabled, false);
    assert.equal(entry.settings.threshold, 100);
  });

  it('npm test stays green: the example config, the config docs and the doctor know the new tracer', () => {
    const example = run(process.execPath, ['--test', '--test-reporter=spec', join(dir, 'dist/test/ops/config-example.test.js')], dir);
    assert.equal(example.status, 0, example.out);
    assert.match(example.out, /ℹ fail 0/);
    // The doctor's requirement list, and the verdict that it really checked: its object loads.
    const doctor = run(process.execPath, ['--test', '--test-reporter=spec', '--test-name-pattern=requirement list|every tracer can run', join(dir, 'dist/test/ops/doctor.test.js')], dir);
    assert.equal(doctor.status, 0, doctor.out);
    assert.match(doctor.out, /ℹ pass 2/);
    const r = run(process.execPath, ['--input-type=module', '-e', `
      const { doctorReport } = await import(${JSON.stringify(join(dir, 'dist/src/cli/doctor.js'))});
      const { parseAgentConfig } = await import(${JSON.stringify(join(dir, 'dist/src/config/load.js'))});
      const report = await doctorReport(parseAgentConfig({}), { tracers: ['${NAME}'] });
      console.log(JSON.stringify(report.tracers[0].checks.map((c) => [c.id, c.status])));`], dir);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(JSON.parse(r.out), [['tracepoint.sched/sched_process_exec', 'ok'], [`bpf.${NAME}`, 'ok']]);
  });

  it('its generated test passes on this kernel (loads the object, sees an exec)', () => {
    const r = run(process.execPath, ['--test', '--test-reporter=spec', join(dir, `dist/test/${NAME}/tracer.test.js`)], dir, 120_000);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /ℹ pass 2/);
    assert.match(r.out, /ℹ fail 0/);
  });
});
