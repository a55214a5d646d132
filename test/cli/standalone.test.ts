// The CLI without an agent: usage errors (exit 2), an agent that is not running (exit 1 with
// a hint), check-config (the real schema: exit 2 naming the key, or a summary), and `flame`
// exporting every format from an event with a profile written into a temp LMDB.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { storageConfigSchema } from '../../src/storage/config.js';
import { EventStore, storeOptionsFrom } from '../../src/storage/store.js';
import { eventDataJson } from '../../src/event/index.js';
import { closedPort, makeTempDir, removeDir, runCli, writeConfig } from './support.js';

describe('usage', () => {
  it('--help lists the commands and the exit codes (exit 0)', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    for (const cmd of ['run', 'status', 'tracers', 'trigger', 'events', 'show', 'flame', 'check-config', 'doctor', 'new-tracer']) {
      assert.match(run.stdout, new RegExp(`^  ${cmd}\\b`, 'm'), cmd);
    }
    assert.match(run.stdout, /^Exit codes:\n  0  ok\n  1  runtime failure.*\n  2  usage.*\n  3  not found.*\n  4  authentication refused/m);
  });

  it('bad usage exits 2 with one autotracer: line and a hint', async () => {
    const cases = [['fly'], ['events', '--limit', '0'], ['events', '--format', 'xml'], ['show'], ['flame', 'x', '--format', 'png'], ['status', '--timeout', '-1'], ['status', '--api', 'ftp://x']];
    const runs = await Promise.all(cases.map((args) => runCli(args)));
    for (const [i, args] of cases.entries()) {
      const run = runs[i]!;
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^autotracer: .+\nhint: .+\n$/, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
    }
  });

  it('without a command the agent runs (today\'s behaviour): a bad config exits 2', async () => {
    const dir = makeTempDir();
    try {
      const run = await runCli(['--config', writeConfig(dir, { tracers: { example: { enabeld: true } } })]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /tracers\.example\.enabeld: unknown key/);
    } finally {
      removeDir(dir);
    }
  });
});

describe('doctor and new-tracer are wired to their modules', () => {
  it('doctor --json runs src/cli/doctor.js and returns its exit code', async () => {
    const run = await runCli(['doctor', '--json']);
    const report = JSON.parse(run.stdout) as { exitCode?: number; tracers?: unknown };
    assert.ok(report.tracers !== undefined, run.stdout);
    assert.equal(run.code, report.exitCode ?? run.code, 'the CLI exits with the status doctor returned');
    assert.doesNotMatch(run.stderr, /not available in this build/);
  });

  it('new-tracer --help lists its options', async () => {
    const run = await runCli(['new-tracer', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--dir <dir>[\s\S]*--force/);
  });
});

describe('agent not running', () => {
  it('every client command exits 1 and says how to start the agent', async () => {
    const api = `http://127.0.0.1:${await closedPort()}`;
    const cases = [['status'], ['tracers', 'list'], ['trigger', 'example'], ['events'], ['show', 'x'], ['flame', 'x']];
    const runs = await Promise.all(cases.map((args) => runCli([...args, '--api', api])));
    for (const [i, args] of cases.entries()) {
      const run = runs[i]!;
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`^autotracer: cannot reach the agent at ${api}: connection refused`, 'm'));
      assert.match(run.stderr, /^hint: start it with `npm start`.*--api <url>/m);
    }
  });
});

describe('an agent that does not answer, or is not an agent', () => {
  it('a silent server is a timeout (exit 1) that suggests --timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      const run = await runCli(['status', '--api', `http://127.0.0.1:${port}`, '--timeout', '0.5']);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^autotracer: the agent at http:\/\/127\.0\.0\.1:\d+ did not answer within 0\.5 s\nhint: .*--timeout/);
      assert.ok(Date.now() - started < 15_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('a server that is not an autotracer agent is exit 1, not a crash', async () => {
    const other = createHttpServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>nope</html>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const run = await runCli(['tracers', 'list', '--api', `http://127.0.0.1:${port}`]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^autotracer: .* no JSON\nhint: is http:\/\/127\.0\.0\.1:\d+ an autotracer agent\? check --api\n$/);
    } finally {
      other.close();
    }
  });
});

describe('check-config', () => {
  let dir: string;
  before(() => (dir = makeTempDir()));
  after(() => removeDir(dir));

  it('a valid file prints a summary: enabled tracers, storage path, Elasticsearch off/on', async () => {
    const file = writeConfig(dir, { tracers: { example: { enabled: true } } }, 'good.json');
    const run = await runCli(['check-config', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^ok: ${file} is valid$`, 'm'));
    assert.match(run.stdout, /^tracers enabled \(1\): example$/m);
    assert.match(run.stdout, new RegExp(`^storage: ${join(dir, 'data')} \\(fsync os,`, 'm'));
    assert.match(run.stdout, /^elasticsearch: off/m);

    const es = join(dir, 'es.json');
    writeFileSync(es, JSON.stringify({ storage: { elasticsearch: { urls: ['http://es1:9200'] } } }));
    const withEs = await runCli(['check-config', es, '--format', 'json']);
    assert.equal(withEs.code, 0, withEs.stderr);
    const summary = JSON.parse(withEs.stdout) as { ok: boolean; elasticsearch: { enabled: boolean; urls: string[] }; tracers: { enabled: string[] }; storage: { path: string } };
    assert.equal(summary.ok, true);
    assert.deepEqual(summary.elasticsearch, { enabled: true, urls: ['http://es1:9200'], indexPrefix: 'autotracer' });
    assert.ok(summary.tracers.enabled.includes('cpusys'), 'embedded defaults apply');
    assert.equal(summary.storage.path, '/var/lib/autotracer/events');
  });

  it('an invalid file exits 2 with the first problem on one line naming the key path', async () => {
    const unknown = writeConfig(dir, { tracers: { example: { enabeld: true } } }, 'unknown.json');
    const run = await runCli(['check-config', unknown]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, new RegExp(`^autotracer: ${unknown}: tracers\\.example\\.enabeld: unknown key\\nhint: `));

    const range = join(dir, 'range.json');
    writeFileSync(range, JSON.stringify({ http: { port: 70000 }, tracers: { example: { heartbeatMs: 5 } } }));
    const two = await runCli(['check-config', range]);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /^autotracer: .*range\.json: http\.port: .*65535.*\nhint: 1 more problem after this one/);

    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ nope');
    const bad = await runCli(['check-config', notJson]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^autotracer: .*bad\.json is not valid JSON/);
    assert.equal((await runCli(['check-config', join(dir, 'missing.json')])).code, 2);
  });
});

describe('flame', () => {
  let dir: string;
  let db: string;
  let withProfile: string;
  let withoutProfile: string;

  before(async () => {
    dir = makeTempDir();
    db = join(dir, 'lmdb');
    // An event as cpusys stores it: folded stacks plus the capture's facts.
    const store = EventStore.open(storeOptionsFrom(storageConfigSchema.parse({ path: db, fsync: 'os' })));
    try {
      // 600 more stacks: over the 4 KiB threshold, so the record is stored LZ4-compressed
      // and the read-only open must decompress it.
      const many = Array.from({ length: 600 }, (_, i) => `main;worker;fn_${i} 1\n`).join('');
      const folded = `main;parse;lex 40\nmain;parse 10\nmain;render;paint 25\n[kernel];do_syscall_64;ksys_read 5\n${many}`;
      const now = Date.now();
      const { tracerIds } = await store.storeBatch([
        { tracerName: 'cpusys', tracerType: 'autotracing', time: now, dataJson: eventDataJson({ system_percent: 71, folded, profile: { frequency: 99, duration_ms: 10_000 } }) },
        { tracerName: 'memburst', tracerType: 'autotracing', time: now, dataJson: eventDataJson({ anon_bytes: 1 }) },
      ]);
      [withProfile, withoutProfile] = tracerIds as [string, string];
    } finally {
      await store.close();
    }
  });
  after(() => removeDir(dir));

  it('exports every format with -o', async () => {
    const checks: Record<string, (b: Buffer) => void> = {
      svg: (b) => assert.match(b.toString(), /<svg[\s\S]*main[\s\S]*<\/svg>/),
      html: (b) => assert.match(b.toString(), /<html[\s\S]*cpusys[\s\S]*<svg/i),
      folded: (b) => {
        assert.match(b.toString(), /^main;parse;lex 40$/m);
        assert.equal(b.toString().trimEnd().split('\n').length, 604);
      },
      speedscope: (b) => assert.equal((JSON.parse(b.toString()) as { $schema: string }).$schema, 'https://www.speedscope.app/file-format-schema.json'),
      pprof: (b) => assert.ok(gunzipSync(b).length > 0, 'a gzipped protobuf'),
    };
    for (const [format, check] of Object.entries(checks)) {
      const out = join(dir, `out.${format}`);
      const run = await runCli(['flame', withProfile, '--db', db, '--format', format, '-o', out]);
      assert.equal(run.code, 0, `${format}: ${run.stderr}`);
      assert.equal(run.stdout, '', 'nothing on stdout with -o');
      assert.match(run.stderr, new RegExp(`^wrote ${out} \\(\\d+ bytes`));
      check(readFileSync(out));
    }
  });

  it('writes <dir>/<id>.<ext> when -o is a directory, and binary to a non-terminal stdout', async () => {
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    const run = await runCli(['flame', withProfile, '--db', db, '--format', 'speedscope', '-o', outDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(join(outDir, `${withProfile}.speedscope.json`)));
    const piped = await runCli(['flame', withProfile, '--db', db, '--format', 'pprof']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual([...piped.stdoutBytes.subarray(0, 2)], [0x1f, 0x8b]);
    const svg = await runCli(['flame', withProfile, '--db', db]);
    assert.match(svg.stdout, /^(<\?xml[^>]*>\s*)?<svg/, 'svg is the default format');
  });

  it('an event without a profile exits 3; an unknown id exits 3', async () => {
    const none = await runCli(['flame', withoutProfile, '--db', db, '--format', 'svg']);
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /has no profile/);
    const unknown = await runCli(['flame', `${withProfile}x`, '--db', db]);
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.stderr, /^autotracer: no event with id/);
  });
});
