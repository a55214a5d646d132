// Damaged or unopenable stores, on real LMDB files: the agent (`autotracer run`, a real
// process) and the CLI readers (`events --db`, `store check`) must exit 1 with one coded
// line naming the file and the fix, never die by a signal (SIGBUS/SIGSEGV) with nothing
// logged, which is what lmdb does when it maps a truncated or damaged file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { inspectLmdbFile, MIN_FREE_BYTES_AT_START } from '../../src/storage/preflight.js';
import { EventStore, LMDB_FILE, storeOptionsFrom } from '../../src/storage/store.js';
import { runCli, writeConfig } from '../cli/support.js';
import { fillFilesystem, mountTmpfs } from '../support/filesystem.js';
import { config, defer, makeEvents, tempDir } from './helpers.js';

/** A real agent store with `n` events; returns the acknowledged ids. */
async function writeStore(dir: string, n: number): Promise<string[]> {
  const store = EventStore.open(storeOptionsFrom(config({ path: dir, fsync: 'os' })));
  const ids: string[] = [];
  for (let i = 0; i < n; i += 100) ids.push(...(await store.storeBatch(makeEvents(100, { data: { blob: 'y'.repeat(400), i } }))).tracerIds);
  await store.close();
  return ids;
}

const damages: Record<string, (file: string) => void> = {
  'truncated by one page': (file) => fs.truncateSync(file, fs.statSync(file).size - 4096),
  'truncated to half': (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2)),
  'emptied (0 bytes)': (file) => fs.truncateSync(file, 0),
  'garbage header': (file) => {
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('this is not an LMDB meta page, it is garbage written over it'), 0, undefined, 0);
    fs.closeSync(fd);
  },
  'second meta page damaged': (file) => {
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0xab), 0, 64, 4096);
    fs.closeSync(fd);
  },
};

test('the pre-open check reads the meta pages of a real store written by this build', async (t) => {
  const dir = tempDir(t);
  await writeStore(dir, 500);
  const file = path.join(dir, LMDB_FILE);
  const report = inspectLmdbFile(file);
  assert.equal(report.pageSize, 4096);
  assert.ok(report.txnid > 1);
  // The file holds exactly the pages the newest meta says are in use, or more.
  assert.ok(report.sizeBytes >= (report.lastPage + 1) * report.pageSize);
  assert.ok(report.lastPage > 10, `last page ${report.lastPage}`);
  // 0600 files (LMDB's own default is 0664): events hold command lines and stacks of the whole host.
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(`${file}-lock`).mode & 0o777, 0o600);
});

test('a custom storage.path is created 0700 with its files 0600', async (t) => {
  const dir = path.join(tempDir(t), 'deep', 'store');
  await writeStore(dir, 1);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.dirname(dir)).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(dir, LMDB_FILE)).mode & 0o777, 0o600);
});

for (const [name, damage] of Object.entries(damages)) {
  test(`store ${name}: agent and CLI exit 1 with STORAGE_CORRUPT naming the file, no signal; reset moves it aside`, { timeout: 120_000 }, async (t) => {
    const work = tempDir(t);
    const dir = path.join(work, 'data');
    const acked = await writeStore(dir, 1000);
    const file = path.join(dir, LMDB_FILE);
    damage(file);
    const damagedBytes = fs.readFileSync(file);

    const agent = await runCli(['run', '--config', writeConfig(work, { http: { enabled: false } })], { timeoutMs: 60_000 });
    assert.equal(agent.code, 1, `agent exit ${agent.code}; stderr: ${agent.stderr}`);
    assert.match(agent.stderr, /STORAGE_CORRUPT/);
    assert.ok(agent.stderr.includes(file), 'names the file');
    assert.match(agent.stderr, /autotracer store reset --db/);

    const events = await runCli(['events', '--db', dir]);
    assert.equal(events.code, 1, `events exit ${events.code}; stderr: ${events.stderr}`);
    const line = events.stderr.split('\n').find((l) => l.startsWith('autotracer: '));
    assert.match(line ?? '', /STORAGE_CORRUPT/);
    assert.ok(line?.includes(file));

    const check = await runCli(['store', 'check', '--db', dir, '--format', 'json']);
    assert.equal(check.code, 1, check.stderr);
    assert.equal(JSON.parse(check.stdout).code, 'STORAGE_CORRUPT');

    // Nothing was written to the damaged file by any of the above.
    assert.ok(fs.readFileSync(file).equals(damagedBytes));

    const reset = await runCli(['store', 'reset', '--db', dir, '--format', 'json']);
    assert.equal(reset.code, 0, reset.stderr);
    const moved = (JSON.parse(reset.stdout) as { moved: { from: string; to: string }[] }).moved;
    const data = moved.find((m) => m.from === file);
    assert.ok(data, 'events.mdb moved');
    assert.ok(fs.readFileSync(data.to).equals(damagedBytes), 'moved aside byte for byte, never deleted');
    assert.ok(!fs.existsSync(file));
    // With the store moved aside, a fresh store opens (the agent would start empty).
    const fresh = EventStore.open(storeOptionsFrom(config({ path: dir })));
    await fresh.close();
    assert.ok(acked.length === 1000);
  });
}

test('an intact store: store check says ok and reads every acknowledged record', async (t) => {
  const dir = tempDir(t);
  const acked = await writeStore(dir, 300);
  const check = await runCli(['store', 'check', '--db', dir, '--format', 'json']);
  assert.equal(check.code, 0, check.stderr);
  const report = JSON.parse(check.stdout) as { ok: boolean; records: { readable: number; unreadable: unknown[] } };
  assert.equal(report.ok, true);
  assert.equal(report.records.readable, acked.length);
});

test('full filesystem with an existing store: it opens, reads, and writes fail as STORAGE_DISK_FULL (degraded, not fatal)', { timeout: 60_000 }, async (t) => {
  const mnt = mountTmpfs('2m', (step) => defer(t, step));
  const dir = path.join(mnt, 'store');
  const acked = await writeStore(dir, 100);
  fillFilesystem(mnt);
  // A storage actor restarted while the disk is full goes through this open.
  const store = EventStore.open(storeOptionsFrom(config({ path: dir, fsync: 'os' })));
  defer(t, () => store.close());
  for (const id of acked) assert.ok(store.get(id), `acked ${id} readable`);
  let failure: (Error & { code?: string }) | undefined;
  for (let i = 0; i < 50 && failure === undefined; i++) {
    try {
      await store.storeBatch(makeEvents(100, { data: { blob: 'z'.repeat(2000) } }));
    } catch (err) {
      failure = err as Error & { code?: string };
    }
  }
  assert.equal(failure?.code, 'STORAGE_DISK_FULL');
});

test('full filesystem at start (no store yet): exit 1 with "no space" and the figures, no signal, nothing created', { timeout: 60_000 }, async (t) => {
  const mnt = mountTmpfs('2m', (step) => defer(t, step));
  const work = tempDir(t);
  const dir = path.join(mnt, 'store');
  fs.mkdirSync(dir);
  fillFilesystem(mnt);
  const agent = await runCli(['run', '--config', writeConfig(work, { http: { enabled: false }, storage: { path: dir } })], { timeoutMs: 60_000 });
  assert.equal(agent.code, 1, `agent exit ${agent.code}; stderr: ${agent.stderr}`);
  assert.match(agent.stderr, /STORAGE_NO_SPACE: no space on the filesystem of /);
  assert.ok(agent.stderr.includes(dir));
  assert.match(agent.stderr, /\d+(\.\d)? (B|KiB|MiB) free, at least 1\.0 MiB needed/);
  assert.equal(MIN_FREE_BYTES_AT_START, 1024 * 1024);
  // No half-created (0-byte) store left behind to confuse the next start.
  assert.deepEqual(fs.readdirSync(dir), []);
});
