// The CLI against a REAL running agent (dist main.js run, isolated config): status, tracers
// list/stop/start, trigger → the event appears in events (table/json/ndjson) and show,
// auth refused (exit 4), unknown tracer/event (exit 3), a config-derived API address, and
// --db reading the same LMDB read-only while the agent writes it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventDocument } from '../../src/event/index.js';
import { cliMain, makeTempDir, removeDir, runCli, startAgentProcess, writeConfig, type AgentProcess } from './support.js';

describe('autotracer CLI against a running agent', () => {
  let dir: string | undefined;
  let agent: AgentProcess | undefined;
  const triggered: string[] = [];
  // --api and --token-file as a user on another port would pass them.
  const api = (): string[] => ['--api', agent!.base, '--token-file', agent!.tokenFile];

  before(async () => {
    dir = makeTempDir();
    // The example tracer with a threshold no load reaches: every event is a manual trigger.
    agent = await startAgentProcess(dir, { tracers: { example: { enabled: true, settings: { loadThreshold: 100_000, sampleMs: 1000 } } } });
  });

  after(async () => {
    const code = await agent?.stop();
    removeDir(dir);
    assert.equal(code, 0, `the agent did not exit cleanly: ${agent?.output()}`);
  });

  it('status prints health, readiness and a row per tracer; --format json parses', async () => {
    // Independent reads run side by side (each CLI run is a node start-up).
    const [table, json] = await Promise.all([runCli(['status', ...api()]), runCli(['status', '--format', 'json', '--api', agent!.base])]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^agent http:\/\/127\.0\.0\.1:\d+: ok, up [\d.]+s.*, ready$/m);
    assert.match(table.stdout, /^TRACER\s+STATE\s+RESTARTS\s+HITS\s+MANUAL\s+EVENTS\s+HEARTBEAT\s+CPU\s+ELU/m);
    assert.match(table.stdout, /^example\s+running\s+0\s+0\s+0\s+0\s+[\d.]+s\s+[\d.]+s\s+\d+%/m);
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as { ready: boolean; tracers: { name: string; state: string; heartbeatAgeMs: number }[] };
    assert.equal(status.ready, true);
    assert.deepEqual(status.tracers.map((t) => [t.name, t.state]), [['example', 'running']]);
    assert.ok(status.tracers[0]!.heartbeatAgeMs >= 0);
  });

  it('tracers list prints a table and JSON', async () => {
    const [table, json] = await Promise.all([runCli(['tracers', 'list', ...api()]), runCli(['tracers', 'list', '--format', 'json', ...api()])]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^example\s+running\s+thread\s+\d+\s+0/m);
    assert.deepEqual((JSON.parse(json.stdout) as { name: string }[]).map((t) => t.name), ['example']);
  });

  it('trigger captures now and prints the stored event id', async () => {
    const run = await runCli(['trigger', 'example', '--reason', 'cli-test', ...api()]);
    assert.equal(run.code, 0, run.stderr);
    const id = /^example: triggered, event (\S+)$/m.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    triggered.push(id);
    assert.equal(run.stderr, '', 'no progress noise when stderr is not a terminal');
    const json = await runCli(['trigger', 'example', '--format', 'json', ...api()]);
    assert.equal(json.code, 0, json.stderr);
    const reply = JSON.parse(json.stdout) as { tracer: string; triggered: boolean; events: string[] };
    assert.equal(reply.triggered, true);
    assert.equal(reply.events.length, 1);
    triggered.push(reply.events[0]!);
  });

  it('events lists the triggered events as table, json and ndjson', async () => {
    assert.equal(triggered.length, 2, 'needs the trigger test');
    const [json, nd, table, none, bad] = await Promise.all([
      runCli(['events', '--tracer', 'example', '--format', 'json', ...api()]),
      runCli(['events', '--format', 'ndjson', '--order', 'asc', ...api()]),
      runCli(['events', '--since', '1h', ...api()]),
      runCli(['events', '--until', '1h', ...api()]),
      runCli(['events', '--since', 'yesterday', ...api()]),
    ]);
    assert.equal(json.code, 0, json.stderr);
    const docs = JSON.parse(json.stdout) as EventDocument[];
    assert.deepEqual(docs.map((d) => d.tracer_id), [...triggered].reverse(), 'newest first');
    assert.ok(docs.every((d) => d.tracer_type === 'manual' && d.tracer_name === 'example'));
    assert.equal((docs[1]!.tracer_data as { reason?: string }).reason, 'cli-test');

    assert.equal(nd.code, 0, nd.stderr);
    const lines = nd.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as EventDocument).tracer_id), triggered, 'oldest first with --order asc');

    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+TIME\s+TRACER\s+TYPE\s+CONTAINER\s+DATA$/m);
    for (const id of triggered) assert.match(table.stdout, new RegExp(`^${id}\\s+\\S+Z\\s+example\\s+manual\\s+-\\s+load1=`, 'm'));

    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /no events match/);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^autotracer: --since yesterday: expected a relative age/m);
  });

  it('events pages with --limit and --cursor, and --all follows the cursor', async () => {
    const first = await runCli(['events', '--limit', '1', '--format', 'json', ...api()]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as EventDocument[]).length, 1);
    const cursor = /more events: add --cursor (\S+)/.exec(first.stderr)?.[1];
    assert.ok(cursor, first.stderr);
    const second = await runCli(['events', '--limit', '1', '--cursor', cursor, '--format', 'json', ...api()]);
    assert.deepEqual((JSON.parse(second.stdout) as EventDocument[]).map((d) => d.tracer_id), [triggered[0]]);
    const all = await runCli(['events', '--limit', '1', '--all', '--format', 'json', ...api()]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual((JSON.parse(all.stdout) as EventDocument[]).map((d) => d.tracer_id), [...triggered].reverse());
    assert.doesNotMatch(all.stderr, /more events/);
  });

  it('show prints one event as fields and as JSON; an unknown id exits 3', async () => {
    const id = triggered[0]!;
    const [text, json, missing] = await Promise.all([
      runCli(['show', id, ...api()]),
      runCli(['show', id, '--format', 'json', ...api()]),
      runCli(['show', `${id.slice(0, -2)}zz`, ...api()]),
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^tracer_id\\s+${id}$`, 'm'));
    assert.match(text.stdout, /^tracer_type\s+manual$/m);
    assert.match(text.stdout, /^tracer_data\.reason\s+cli-test$/m);
    assert.match(text.stdout, /^tracer_data\.load1\s+[\d.]+$/m);
    const doc = JSON.parse(json.stdout) as EventDocument;
    const fromApi = (await (await fetch(`${agent!.base}/api/v1/events/${id}`)).json()) as { data: EventDocument };
    assert.deepEqual(doc, fromApi.data);

    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /^autotracer: no event with id .*\nhint: `autotracer events` lists/m);
  });

  it('flame of an event without a profile exits 3 with a hint', async () => {
    const run = await runCli(['flame', triggered[0]!, '--format', 'folded', ...api()]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^autotracer: .*has no profile/m);
    assert.match(run.stderr, /^hint: only events with a CPU profile/m);
    assert.equal(run.stdout, '');
  });

  it('an unknown tracer exits 3 with a hint', async () => {
    const cases = [['trigger', 'nosuch'], ['tracers', 'stop', 'nosuch'], ['tracers', 'start', 'nosuch']];
    const runs = await Promise.all(cases.map((args) => runCli([...args, ...api()])));
    for (const [i, args] of cases.entries()) {
      const run = runs[i]!;
      assert.equal(run.code, 3, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^autotracer: no tracer named "nosuch" is configured\nhint: `autotracer tracers list` shows/m);
    }
  });

  it('tracers stop and start change the state; stopping twice is a conflict (exit 1)', async () => {
    const stop = await runCli(['tracers', 'stop', 'example', ...api()]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, 'example: stopped\n');
    const list = await runCli(['tracers', 'list', '--format', 'json', ...api()]);
    assert.equal((JSON.parse(list.stdout) as { state: string }[])[0]!.state, 'stopped');
    const again = await runCli(['tracers', 'stop', 'example', ...api()]);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /^autotracer: .*\(TRACER_NOT_RUNNING\)$/m);
    const start = await runCli(['tracers', 'start', 'example', ...api()]);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(start.stdout, 'example: running\n');
  });

  it('a wrong or missing token is refused with exit 4 and says where the token comes from', async () => {
    const wrongFile = join(dir!, 'wrong-token');
    writeFileSync(wrongFile, 'not-the-token-0123456789\n');
    const [wrong, env, missing, ok] = await Promise.all([
      runCli(['trigger', 'example', '--api', agent!.base, '--token-file', wrongFile]),
      runCli(['tracers', 'stop', 'example', '--api', agent!.base], { env: { AUTOTRACER_TOKEN: 'also-wrong-0123456789' } }),
      runCli(['trigger', 'example', '--api', agent!.base, '--token-file', join(dir!, 'nope')]),
      // The right token from the environment is accepted (a read would not need one).
      runCli(['tracers', 'stop', 'nosuch', '--api', agent!.base], { env: { AUTOTRACER_TOKEN: agent!.token } }),
    ]);
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /^autotracer: the agent refused the request: .*\(FORBIDDEN\)$/m);
    assert.match(wrong.stderr, new RegExp(`^hint: the token from --token-file ${wrongFile} was refused`, 'm'));

    assert.equal(env.code, 4, env.stderr);
    assert.match(env.stderr, /the token from \$AUTOTRACER_TOKEN was refused/);

    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /\(UNAUTHORIZED\)/);
    assert.match(missing.stderr, /^hint: no token: .*nope does not exist/m);
    assert.equal(ok.code, 3, `past authentication to the tracer lookup: ${ok.stderr}`);
  });

  it('finds the agent and its token through --config (http.host/port, http.tokenFile)', async () => {
    const config = writeConfig(dir!, { http: { port: agent!.port, tokenFile: agent!.tokenFile } }, 'client.json');
    const list = await runCli(['tracers', 'list', '--config', config]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^example\s+running/m);
    const trig = await runCli(['trigger', 'example', '--config', config]);
    assert.equal(trig.code, 0, trig.stderr);
    triggered.push(/event (\S+)$/m.exec(trig.stdout)![1]!);
    // Port 0 cannot be reached: a usage error that says what to do.
    const zero = await runCli(['status', '--config', agent!.config]);
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /http\.port is 0.*\nhint: pass --api/);
  });

  it('--db reads the same LMDB read-only while the agent is running', async () => {
    const viaApi = JSON.parse((await runCli(['events', '--format', 'json', ...api()])).stdout) as EventDocument[];
    assert.equal(viaApi.length, 3);
    const id = viaApi[0]!.tracer_id;
    const [offline, byTracer, show] = await Promise.all([
      runCli(['events', '--db', agent!.dataDir, '--format', 'json']),
      runCli(['events', '--db', agent!.dataDir, '--tracer', 'example', '--limit', '1', '--all', '--format', 'ndjson']),
      runCli(['show', id, '--db', join(agent!.dataDir, 'events.mdb'), '--format', 'json']),
    ]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual(JSON.parse(offline.stdout), viaApi);
    assert.equal(byTracer.stdout.trimEnd().split('\n').length, 3);
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(JSON.parse(show.stdout), viaApi[0]);
    // The agent keeps writing while a reader is open: a new trigger is visible to the next read.
    const trig = await runCli(['trigger', 'example', ...api()]);
    const newId = /event (\S+)$/m.exec(trig.stdout)![1]!;
    const after = await runCli(['show', newId, '--db', agent!.dataDir]);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, new RegExp(`^tracer_id\\s+${newId}$`, 'm'));
    const missing = await runCli(['events', '--db', join(dir!, 'no-such-dir')]);
    assert.equal(missing.code, 2, missing.stderr);
  });

  it('trigger shows progress on stderr when it is a terminal (script(1) provides one)', async () => {
    // util-linux is in scripts/setup.sh's package list: a missing script(1) is a broken set-up, not a skip.
    assert.equal(spawnSync('script', ['--version']).status, 0, 'script(1) from util-linux is missing: run scripts/setup.sh');
    // script -e: exit with the child's status; -q: no banner; the pty merges stdout and stderr.
    const command = [process.execPath, cliMain, 'trigger', 'example', '--reason', 'tty', ...api()].map((a) => `'${a}'`).join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stdout);
    assert.match(run.stdout, /\r\x1b\[2K[|/\\-] triggering example: capturing/, 'a spinner line, redrawn in place');
    const id = /example: triggered, event (\S+)/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
  });
  it('trigger --container stores the event for that container; events --container finds only it', async () => {
    const container = 'c0ffee0123456789abcdef';
    const run = await runCli(['trigger', 'example', '--container', container, ...api()]);
    assert.equal(run.code, 0, run.stderr);
    const id = /event (\S+)$/m.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    const [api_, offline] = await Promise.all([
      runCli(['events', '--container', container, '--format', 'json', ...api()]),
      runCli(['events', '--container', container, '--format', 'json', '--db', agent!.dataDir]),
    ]);
    for (const listing of [api_, offline]) {
      assert.equal(listing.code, 0, listing.stderr);
      const docs = JSON.parse(listing.stdout) as EventDocument[];
      assert.deepEqual(docs.map((d) => [d.tracer_id, d.container_id]), [[id, container]]);
    }
  });
});
