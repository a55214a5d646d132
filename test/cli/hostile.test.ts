// The CLI and the configuration loader under hostile or broken input (issue #12 item 6/8,
// #14 item 7): a `null` config, a FIFO as the config path, hints that name the right doc,
// terminal control characters in stored text, this host's token and a remote --api, a
// trigger that needs a container, a host-wide trigger given --container, a capture cut by
// shutdown, and SIGHUP.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientContext } from '../../src/cli/context.js';
import { tracerSpec } from '../../src/supervisor/spec.js';
import { call, fastRestart, saverModule, startAgent, type Agent } from '../http/support.js';
import { makeTempDir, removeDir, runCli, startAgentProcess, writeConfig, waitFor } from './support.js';

describe('configuration files that are not configurations', () => {
  let dir: string;
  before(() => (dir = makeTempDir()));
  after(() => removeDir(dir));

  it('a config of null is refused (exit 2), not taken as the defaults', async () => {
    const file = join(dir, 'null.json');
    writeFileSync(file, 'null\n');
    for (const args of [['check-config', file], ['run', '--config', file]]) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /\(root\): expected a JSON object \(\{\} for all defaults\), got null/);
    }
  });

  it('a FIFO as the config path is refused at once instead of hanging', async () => {
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const run = await runCli(['check-config', fifo], { timeoutMs: 15_000 });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /it is a FIFO; the configuration must be a regular JSON file/);
    assert.ok(Date.now() - started < 10_000);
  });

  it('config error hints point at docs/config.md, the page that lists every key', async () => {
    const file = writeConfig(dir, { http: { port: 70_000 } }, 'range.json');
    for (const args of [['check-config', file], ['status', '--config', file]]) {
      const run = await runCli(args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /^hint: .*docs\/config\.md/m, `${args.join(' ')}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /docs\/runtime\.md/);
    }
  });
});

describe("this host's token and --api", () => {
  let dir: string;
  before(() => (dir = makeTempDir()));
  after(() => removeDir(dir));

  it('goes to loopback URLs only, unless --send-token or a token named for the call', async () => {
    const tokenFile = join(dir, 'api-token');
    writeFileSync(tokenFile, 'host-token-0123456789abcdef\n', { mode: 0o600 });
    const config = writeConfig(dir, { http: { tokenFile, port: 19704 } });
    const local = await clientContext({ config });
    assert.equal((await local.token()).token, 'host-token-0123456789abcdef');
    for (const api of ['http://127.0.0.2:19704', 'http://localhost:1', 'http://[::1]:1', 'http://[::ffff:127.0.0.1]:1']) {
      assert.equal((await (await clientContext({ config, api })).token()).token, 'host-token-0123456789abcdef', api);
    }
    for (const api of ['http://192.0.2.10:19704', 'http://agent.example:19704', 'http://127.0.0.1.nip.io:1']) {
      const withheld = await (await clientContext({ config, api })).token();
      assert.equal(withheld.token, undefined, api);
      assert.match(withheld.problem ?? '', /not a loopback address \(pass --send-token/);
    }
    assert.equal((await (await clientContext({ config, api: 'http://192.0.2.10:1', sendToken: true })).token()).token, 'host-token-0123456789abcdef');
    assert.equal((await (await clientContext({ api: 'http://192.0.2.10:1', tokenFile })).token()).token, 'host-token-0123456789abcdef');
  });
});

const dloadModule = fileURLToPath(new URL('../../src/actors/tracers/dload/index.js', import.meta.url));

describe('the CLI against an in-process agent (dload + the saver fixture)', () => {
  let agent: Agent;
  let tokenFile: string;
  const api = (): string[] => ['--api', agent.server.url, '--token-file', tokenFile];

  before(async () => {
    // node:test's before() has no TestContext: the agent's teardown is registered on a
    // throw-away context object and run in after().
    const hooks: Array<() => unknown> = [];
    const t = { after: (fn: () => unknown) => hooks.push(fn) } as unknown as import('node:test').TestContext;
    agent = await startAgent(t, {}, [
      tracerSpec({ name: 'dload', modulePath: dloadModule, restart: fastRestart, shutdownMs: 2000, killAfterMs: 1000 }),
      tracerSpec({ name: 'saver', modulePath: saverModule, restart: fastRestart, shutdownMs: 2000, killAfterMs: 1000 }),
    ]);
    cleanup = async () => {
      for (const fn of hooks.reverse()) await fn();
    };
    tokenFile = join(agent.dir, 'cli-token');
    writeFileSync(tokenFile, `${agent.token}\n`, { mode: 0o600 });
  });
  let cleanup: () => Promise<void> = async () => undefined;
  after(() => cleanup());

  it('trigger dload without --container: exit 2, "needs --container <id>"', async () => {
    const run = await runCli(['trigger', 'dload', ...api()]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /needs --container <id>/);
    const unknown = await runCli(['trigger', 'dload', '--container', 'nope', ...api()]);
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.stderr, /^hint: pass the id of a container running on this host/m, 'the hint is about the container, not the tracer');
  });

  it('trigger of a host-wide capture with --container reports the stored event', async () => {
    const run = await runCli(['trigger', 'saver', '--container', 'c0ffee', '--reason', 'host', ...api()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^saver: triggered, event \S+ \(host-wide: saver does not capture per container/);
    assert.doesNotMatch(run.stdout, /no manual event found/);
  });

  it('events and show print stored control characters escaped, never raw', async () => {
    const evil = 'x\u001b]0;pwned\u0007\u001b[2J\rY\u009b1m';
    const res = await call(agent.server.url, 'POST', '/api/v1/tracers/saver/trigger', { token: agent.token, body: JSON.stringify({ reason: evil }) });
    assert.equal(res.status, 200, res.text);
    const events = await runCli(['events', '--tracer', 'saver', '--api', agent.server.url]);
    assert.equal(events.code, 0, events.stderr);
    const id = /^(\S+)\s.*reason=x\\x1b/m.exec(events.stdout)?.[1];
    assert.ok(id !== undefined, events.stdout);
    const show = await runCli(['show', id, '--api', agent.server.url]);
    assert.equal(show.code, 0, show.stderr);
    for (const out of [events.stdout, show.stdout]) {
      assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'a raw control character reached stdout');
      assert.match(out, /x\\x1b\]0:pwned\\x07\\x1b\[2J|x\\x1b\]0;pwned\\x07\\x1b\[2J/);
    }
  });

  it('a capture cut by shutdown says the agent is stopping, not "start it"', async () => {
    const pending = runCli(['trigger', 'saver', '--reason', 'slow', ...api()]);
    await new Promise((r) => setTimeout(r, 1500));
    await agent.server.close(200);
    const run = await pending;
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /shut down before this request finished/);
    assert.match(run.stderr, /^hint: the agent is stopping or restarting/m);
  });
});

describe('signals and log lines', () => {
  it('SIGHUP does not kill the agent (and every stored event is logged): it re-checks the config file and keeps running', async () => {
    const dir = makeTempDir();
    const agent = await startAgentProcess(dir, { tracers: { example: { enabled: true, settings: { loadThreshold: 100_000, sampleMs: 1000 } } } });
    try {
      // Every tracer's stored event is one log line (#14: only cpusys/cpuidle logged one).
      const trig = await call(agent.base, 'POST', '/api/v1/tracers/example/trigger', { token: agent.token, body: '{}' });
      assert.equal(trig.status, 200, trig.text);
      await waitFor('the stored-event line', () => /^\S+ info event stored: tracer example, id \S+$/m.test(agent.output()), 10_000);
      agent.child.kill('SIGHUP');
      await waitFor('the SIGHUP log line', () => /SIGHUP: .*config\.json is valid, unchanged/.test(agent.output()), 10_000);
      // A broken file is reported, and the agent still runs on what it started with.
      writeFileSync(agent.config, '{"http": ');
      agent.child.kill('SIGHUP');
      await waitFor('the invalid-config line', () => /SIGHUP: .*is not valid .*keeps running/.test(agent.output()), 10_000);
      assert.equal(agent.child.exitCode, null, agent.output());
      assert.equal((await fetch(`${agent.base}/healthz`)).status, 200);
    } finally {
      const code = await agent.stop();
      removeDir(dir);
      assert.equal(code, 0, agent.output());
    }
  });
});
