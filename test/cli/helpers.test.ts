// The CLI's pure helpers: time arguments, the default `run` command, tables, the document
// view, and the error-code → exit-status mapping.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flattenData, summarizeData } from '../../src/cli/document-view.js';
import { CliError, ExitCode, exitCodeOf } from '../../src/cli/errors.js';
import { apiUrlFromConfig } from '../../src/cli/context.js';
import { parseAgentConfig } from '../../src/config/load.js';
import { withDefaultCommand } from '../../src/cli/program.js';
import { renderTable } from '../../src/cli/table.js';
import { formatDuration, parseTimeArg } from '../../src/cli/time.js';

describe('parseTimeArg', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  it('reads relative ages, ISO times, dates, epoch ms and now', () => {
    assert.equal(parseTimeArg('--since', '30m', now), now - 30 * 60_000);
    assert.equal(parseTimeArg('--since', '1h', now), now - 3_600_000);
    assert.equal(parseTimeArg('--since', '7d', now), now - 7 * 86_400_000);
    assert.equal(parseTimeArg('--since', '1.5h', now), now - 5_400_000);
    assert.equal(parseTimeArg('--since', '2026-11-27T10:00:00Z', now), Date.parse('2026-11-27T10:00:00Z'));
    assert.equal(parseTimeArg('--since', '2026-11-27T10:00:00+02:00', now), Date.parse('2026-11-27T08:00:00Z'));
    assert.equal(parseTimeArg('--since', '2026-11-27', now), Date.parse('2026-11-27'));
    assert.equal(parseTimeArg('--since', '1795783573142', now), 1795783573142);
    assert.equal(parseTimeArg('--until', 'now', now), now);
  });
  it('rejects anything else as a usage error naming the option', () => {
    for (const bad of ['yesterday', '1y', '-1h', '2026-13-45', '12']) {
      assert.throws(() => parseTimeArg('--since', bad, now), (err: unknown) => err instanceof CliError && err.code === 'CLI_USAGE' && err.message.startsWith(`--since ${bad}:`), bad);
    }
  });
  it('formats durations for humans', () => {
    assert.deepEqual([360, 12_400, 303_000, 7_800_000, 280_000_000].map(formatDuration), ['0.4s', '12s', '5m 3s', '2h 10m', '3d 5h']);
  });
});

describe('withDefaultCommand', () => {
  it('runs the agent when no command word is given, as before the CLI existed', () => {
    assert.deepEqual(withDefaultCommand([]), ['run']);
    assert.deepEqual(withDefaultCommand(['--config', 'a.json']), ['run', '--config', 'a.json']);
    assert.deepEqual(withDefaultCommand(['-c', 'a.json']), ['run', '-c', 'a.json']);
    assert.deepEqual(withDefaultCommand(['--config', 'status']), ['run', '--config', 'status'], 'an option value is not a command');
    assert.deepEqual(withDefaultCommand(['--api', 'http://x', 'status']), ['--api', 'http://x', 'status']);
    assert.deepEqual(withDefaultCommand(['--help']), ['--help']);
    assert.deepEqual(withDefaultCommand(['fly']), ['fly']);
  });
});

describe('output helpers', () => {
  it('renders aligned tables with right-aligned numbers and clipped cells', () => {
    const text = renderTable(
      [
        { header: 'NAME', value: (r: { n: string; v: number }) => r.n },
        { header: 'VALUE', value: (r) => String(r.v), right: true },
        { header: 'NOTE', value: () => 'a very long note that is clipped', max: 10 },
      ],
      [{ n: 'a', v: 1 }, { n: 'longer', v: 1234 }],
    );
    assert.equal(text, 'NAME    VALUE  NOTE\na           1  a very lo…\nlonger   1234  a very lo…\n');
  });
  it('flattens tracer_data: dotted keys, counted arrays, multi-line text, depth limit', () => {
    const data = { load1: 1.5, reason: 'x', folded: 'a;b 1\na;c 2\n', flamedata: [1, 2, 3, 4, 5, 6], small: [1, 2], deep: { a: { b: { c: { d: 1 } } } }, empty: {} };
    assert.deepEqual(flattenData(data), [
      ['load1', '1.5'], ['reason', 'x'], ['folded', '<text, 2 lines>'], ['flamedata', '<6 items>'], ['small', '[1, 2]'],
      ['deep.a.b', '<object, 1 keys>'], ['empty', '{}'],
    ]);
    assert.equal(summarizeData(data), 'load1=1.5 reason=x folded=<text, 2 lines>');
  });
});

describe('errors and addresses', () => {
  it('maps every CLI error code to its documented exit status', () => {
    assert.equal(exitCodeOf('CLI_USAGE'), ExitCode.usage);
    assert.equal(exitCodeOf('CLI_CONFIG'), 2);
    assert.equal(exitCodeOf('CLI_NOT_FOUND'), 3);
    assert.equal(exitCodeOf('CLI_AUTH'), 4);
    for (const code of ['CLI_UNREACHABLE', 'CLI_SERVER', 'CLI_CONFLICT', 'CLI_BAD_RESPONSE', 'CLI_IO', 'CLI_UNAVAILABLE'] as const) assert.equal(exitCodeOf(code), 1, code);
  });
  it('turns the agent\'s listen address into a URL a client can use', () => {
    assert.equal(apiUrlFromConfig(parseAgentConfig({})), 'http://127.0.0.1:19704');
    assert.equal(apiUrlFromConfig(parseAgentConfig({ http: { host: '0.0.0.0', port: 8080 } })), 'http://127.0.0.1:8080');
    assert.equal(apiUrlFromConfig(parseAgentConfig({ http: { host: '::', port: 8080 } })), 'http://[::1]:8080');
    assert.equal(apiUrlFromConfig(parseAgentConfig({ http: { host: 'fe80::1', port: 1 } })), 'http://[fe80::1]:1');
  });
});
