// The agent entry (`node dist/src/cli/main.js run [--config file]`): config errors exit 2
// naming the key; SIGTERM/SIGINT shut down cleanly (exit 0); the cooldown survives an
// agent restart; storage over its budget exits non-zero. The agent runs with the real
// LMDB storage actor, except where a crashing fixture replaces it (AUTOTRACER_STORAGE_MODULE).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { memoryStorage, realStoragePath, tempDir, waitFor } from './harness.js';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const crashingStorage = fileURLToPath(new URL('../fixtures/supervisor/crashing-storage.js', import.meta.url));

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runAgent(t: TestContext, args: string[], storageModule?: string): Run {
  const child = spawn(process.execPath, [main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AUTOTRACER_STORAGE_MODULE: storageModule ?? '', AUTOTRACER_LOG_LEVEL: 'debug' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => out, exited };
}

// Every tracer the catalog enables by default, switched off.
const defaultTracersOff = Object.fromEntries(
  Object.entries(builtinTracers).filter(([, e]) => e.enabledByDefault).map(([name]) => [name, { enabled: false }]),
);

/**
 * Writes the agent config; unless the test sets them, storage, the HTTP token file and the
 * port stay inside the test's temp dir (port 0), so no test touches /var/lib/autotracer or
 * 19704, and the default tracers are off (their own tests cover them).
 */
function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'config.json');
  const isolated = {
    ...config,
    storage: { path: join(dir, 'data'), ...(config.storage as object | undefined) },
    http: { port: 0, tokenFile: join(dir, 'api-token'), ...(config.http as object | undefined) },
    tracers: { ...defaultTracersOff, ...(config.tracers as object | undefined) },
  };
  writeFileSync(file, JSON.stringify(isolated));
  return file;
}

test('an unknown key exits 2 naming its path', async (t) => {
  const dir = tempDir(t);
  const run = runAgent(t, ['run', '--config', writeConfig(dir, { tracers: { example: { enabeld: true } } })]);
  assert.deepEqual(await run.exited, { code: 2, signal: null });
  assert.match(run.output(), /tracers\.example\.enabeld: unknown key/);
});

test('a bad value exits 2 with the key path and the expected range', async (t) => {
  const dir = tempDir(t);
  const run = runAgent(t, ['run', '--config', writeConfig(dir, { tracers: { example: { heartbeatMs: 5 } } })]);
  assert.deepEqual(await run.exited, { code: 2, signal: null });
  assert.match(run.output(), /tracers\.example\.heartbeatMs: .*>=10/);
});

test('bad usage and unreadable or non-JSON files exit 2', async (t) => {
  const dir = tempDir(t);
  assert.equal((await runAgent(t, ['fly']).exited).code, 2);
  assert.equal((await runAgent(t, ['run', '--config', join(dir, 'missing.json')]).exited).code, 2);
  writeFileSync(join(dir, 'bad.json'), '{ nope');
  assert.equal((await runAgent(t, ['run', '--config', join(dir, 'bad.json')]).exited).code, 2);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`embedded defaults run and ${signal} shuts down gracefully (exit 0)`, async (t) => {
    const dir = tempDir(t);
    // The only override: where storage keeps its LMDB files (not /var/lib in a test).
    const run = runAgent(t, ['run', '--config', writeConfig(dir, { storage: { path: join(dir, 'data') } })]);
    await waitFor('running', () => /autotracer running/.test(run.output()), 10_000);
    run.child.kill(signal);
    assert.deepEqual(await run.exited, { code: 0, signal: null });
    assert.match(run.output(), new RegExp(`shutting down \\(${signal}\\)`));
    assert.match(run.output(), /storage: stopped/);
  });
}

test('the example tracer fires once and its cooldown survives an agent restart', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const config = writeConfig(dir, {
    storage: { path: data },
    tracers: { example: { enabled: true, cooldownSeconds: 3600, settings: { loadThreshold: 0, sampleMs: 20 } } },
  });
  // Reads what the agent stored, through a storage actor on the same LMDB files.
  const storedExampleEvents = async () => {
    const reader = new Supervisor({ storage: { ...memoryStorage(dir), modulePath: realStoragePath, config: { path: data } }, tracers: [] });
    t.after(() => reader.stop());
    await reader.start();
    const { events } = await reader.query({ tracer: 'example' });
    const ledger = reader.cooldownEntries();
    await reader.stop();
    return { count: events.length, ledger: ledger.length };
  };

  const first = runAgent(t, ['run', '--config', config]);
  await waitFor('running', () => /autotracer running/.test(first.output()), 10_000);
  await new Promise((r) => setTimeout(r, 800));
  first.child.kill('SIGTERM');
  assert.equal((await first.exited).code, 0);
  assert.deepEqual(await storedExampleEvents(), { count: 1, ledger: 1 }, 'the first agent fires once');

  const second = runAgent(t, ['run', '--config', config]);
  await waitFor('running', () => /autotracer running/.test(second.output()), 10_000);
  await new Promise((r) => setTimeout(r, 800)); // 40 detector samples over threshold
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
  assert.deepEqual(await storedExampleEvents(), { count: 1, ledger: 1 }, 'the example fired again after an agent restart');
});

test('storage that cannot open its LMDB path fails the start with exit 1', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a-file'), '');
  const run = runAgent(t, ['run', '--config', writeConfig(dir, { storage: { path: join(dir, 'a-file', 'lmdb') } })]);
  assert.equal((await run.exited).code, 1);
  assert.match(run.output(), /start failed: storage actor did not start: .*ENOTDIR/);
});

test('storage exceeding its restart budget stops the agent with a non-zero exit', async (t) => {
  const dir = tempDir(t);
  const config = writeConfig(dir, { supervisor: { storage: { restart: { initialDelayMs: 50, budgetCount: 1 } } } });
  const run = runAgent(t, ['run', '--config', config], crashingStorage);
  const exit = await run.exited;
  assert.equal(exit.code, 1);
  assert.match(run.output(), /storage actor crashed more than 1 times/);
});
