// The `autotracer` command line (commander): every command, its options and the documented
// exit statuses. Commands are thin: each one's work lives in ./commands/<name>.ts and is
// imported only when that command runs (the agent's supervisor, the native LMDB binding
// and the flame renderers are not loaded to print a table).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { repoRoot } from '../paths.js';
import { faultKinds, type FaultKind } from '../actors/protocol.js';
import type { EventsOptions } from './commands/events.js';
import type { FlameOptions } from './commands/flame.js';
import type { GlobalOptions } from './context.js';
import { ExitCode, usageError } from './errors.js';
import { printError, reportError } from './output.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  runtime failure: the agent is unreachable or failed, I/O error
  2  usage or configuration error (bad option, bad config file)
  3  not found: unknown tracer or event, or an event without a profile (flame)
  4  authentication refused: the agent rejected the token (401/403)

The agent is found at --api, else http.host/http.port of --config, else
http://127.0.0.1:19704. State changes (tracers start/stop, trigger) send the token
from --token-file, else $AUTOTRACER_TOKEN, else http.token / http.tokenFile of
--config, else /var/lib/autotracer/api-token. events, show and flame also read an
LMDB store directly with --db <dir> (read-only; works while the agent runs).
Details: docs/cli.md`;

function positiveInt(max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new InvalidArgumentError(`expected an integer 1..${max}`);
    return Number(raw);
  };
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `--only a,b` → ['a', 'b'] (blanks dropped). */
function tracerList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const faultKindList = faultKinds.join('|');

const dbOption = (): Option => new Option('--db <dir>', 'read the LMDB store in <dir> (storage.path) instead of asking the agent');

/** Builds the program; `done` receives each command's exit status. */
export function buildProgram(done: (status: number) => void): Command {
  const program = new Command('autotracer');
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();
  program
    .description('host agent that captures the context of anomalies (BPF stacks, flame graphs) — and its client')
    .version(version(), '-V, --version')
    .option('-c, --config <file>', 'agent config file (JSON): the agent for run, where to find it for the other commands')
    .option('--api <url>', 'agent API base URL (default: from --config, else http://127.0.0.1:19704)')
    .option('--token-file <file>', 'API token file for state changes (default: http.tokenFile, /var/lib/autotracer/api-token)')
    .option('--timeout <seconds>', 'give up on an agent request after this long (default 30; trigger 180)')
    .option('--send-token', 'send this host\'s API token (http.token / http.tokenFile) to a non-loopback --api too; without it that token goes only to loopback URLs', false)
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (text) => {
        printError(text.trim().replace(/^error: /, ''), 'see `autotracer --help`, or `autotracer <command> --help` for its options');
      },
    });

  program
    .command('run')
    .description('run the agent in the foreground (embedded defaults without --config)')
    .option('--only <tracers>', 'run only these tracers (comma-separated), the others off')
    .action(async (opts: { only?: string }, cmd: Command) => {
      // Before the agent's modules load (memory-tuning.ts says why).
      const { tuneAgentMemory } = await import('./memory-tuning.js');
      tuneAgentMemory();
      const { runAgent } = await import('./run.js');
      done(await runAgent(globals(cmd).config, opts.only !== undefined ? { only: tracerList(opts.only) } : {}));
    });

  program
    .command('dev <tracer>')
    .description('develop a tracer: the agent with only it, in a child process, debug log; rebuilds and restarts it when its sources change')
    .option('--faults', 'enable fault injection (`autotracer fault`) in this agent', false)
    .action(async (tracer: string, opts: { faults: boolean }, cmd: Command) => {
      const { tuneAgentMemory } = await import('./memory-tuning.js');
      tuneAgentMemory();
      const { runDev } = await import('./commands/dev.js');
      done(await runDev(globals(cmd).config, tracer, opts));
    });

  program
    .command('record-inputs')
    .description('record the host files the detectors read (/proc/stat, meminfo, diskstats, loadavg, online CPUs) into a fixture tree for replay tests')
    .requiredOption('--out <dir>', 'new or empty directory to write the recording into')
    .option('--seconds <n>', 'how long to record', positiveInt(3600), 10)
    .option('--interval-ms <ms>', 'time between two samples', positiveInt(3_600_000), 1000)
    .action(async (opts: { out: string; seconds: number; intervalMs: number }) => {
      const { runRecordInputs } = await import('./commands/record-inputs.js');
      done(await runRecordInputs(opts));
    });

  program
    .command('fault <tracer> <kind>')
    .description(`make a running tracer crash itself (${faultKindList}); only an agent with fault injection on (dev --faults)`)
    .action(async (tracer: string, kind: string, _opts: unknown, cmd: Command) => {
      if (!(faultKinds as readonly string[]).includes(kind)) throw usageError(`unknown fault kind "${kind}": one of ${faultKindList}`);
      const { runFault } = await import('./commands/fault.js');
      done(await runFault(globals(cmd), tracer, kind as FaultKind));
    });

  program
    .command('status')
    .description('agent health and readiness, and per tracer: state, restarts, hits, heartbeat age, cpu')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'also memory per isolate (main thread, each actor) and the look-back window')
    .action(async (opts: { format: 'table' | 'json'; verbose?: boolean }, cmd: Command) => {
      const { runStatus } = await import('./commands/status.js');
      done(await runStatus(globals(cmd), opts.format, opts.verbose === true));
    });

  const tracers = program.command('tracers').description('list, start or stop tracers');
  tracers
    .command('list')
    .description('every configured tracer and its state')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: { format: 'table' | 'json' }, cmd: Command) => {
      const { runTracersList } = await import('./commands/tracers.js');
      done(await runTracersList(globals(cmd), opts.format));
    });
  for (const action of ['start', 'stop'] as const) {
    tracers
      .command(`${action} <name>`)
      .description(action === 'start' ? 'start a stopped tracer (needs the API token)' : 'stop a tracer gracefully; it stays stopped until started (needs the API token)')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const { runTracerAction } = await import('./commands/tracers.js');
        done(await runTracerAction(globals(cmd), action, name));
      });
  }

  program
    .command('trigger <tracer>')
    .description('capture now, bypassing thresholds and cooldown (needs the API token); waits for the capture')
    .option('--container <id>', 'capture for this container')
    .option('--reason <text>', 'why (stored in the event)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (tracer: string, opts: { container?: string; reason?: string; format: 'text' | 'json' }, cmd: Command) => {
      const { runTrigger } = await import('./commands/trigger.js');
      done(await runTrigger(globals(cmd), tracer, opts));
    });

  program
    .command('events')
    .description('stored events, newest first')
    .option('--tracer <name>', 'only this tracer')
    .option('--container <id>', 'only this container')
    .option('--since <time>', 'from (inclusive): 30m, 1h, 7d, an ISO time or ms since the epoch')
    .option('--until <time>', 'to (exclusive), same forms as --since')
    .option('--limit <n>', 'events per page (1..10000)', positiveInt(10_000), 100)
    .option('--cursor <cursor>', 'continue after a previous page (printed on stderr)')
    .option('--all', 'follow the cursor to the last page', false)
    .option('--full', 'whole documents in json/ndjson (profiles included; by default bulky tracer_data fields are left out and named in omitted_fields)', false)
    .addOption(new Option('--order <order>', 'time order').choices(['desc', 'asc']).default('desc'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'ndjson']).default('table'))
    .addOption(dbOption())
    .action(async (opts: EventsOptions, cmd: Command) => {
      const { runEvents } = await import('./commands/events.js');
      done(await runEvents(globals(cmd), opts));
    });

  program
    .command('show <id>')
    .description('one stored event with all its fields')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(dbOption())
    .action(async (id: string, opts: { format: 'table' | 'json'; db?: string }, cmd: Command) => {
      const { runShow } = await import('./commands/show.js');
      done(await runShow(globals(cmd), id, opts));
    });

  program
    .command('flame <id>')
    .description("render an event's CPU profile: interactive SVG, HTML page, folded stacks, speedscope or pprof")
    .addOption(new Option('--format <format>', 'output format').choices(['svg', 'html', 'folded', 'speedscope', 'pprof']).default('svg'))
    .option('-o, --output <file>', 'write to this file (or <dir>/<id>.<ext>) instead of stdout')
    .addOption(dbOption())
    .action(async (id: string, opts: FlameOptions, cmd: Command) => {
      const { runFlame } = await import('./commands/flame.js');
      done(await runFlame(globals(cmd), id, opts));
    });

  program
    .command('check-config <file>')
    .description('validate a config file with the agent\'s schema; prints the first problem (exit 2) or a summary')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, opts: { format: 'text' | 'json' }) => {
      const { runCheckConfig } = await import('./commands/check-config.js');
      done(await runCheckConfig(file, opts.format));
    });

  // The LMDB store on disk, without the agent (docs/cli.md#store, docs/faults.md#storage).
  const store = program.command('store').description('check the LMDB store on disk, or move it aside (reset) so the agent starts empty');
  for (const action of ['check', 'reset'] as const) {
    store
      .command(action)
      .description(action === 'check'
        ? 'validate the store before anything maps it (meta pages, size, lock file, free space) and read every record; exit 1 when damaged'
        : 'rename events.mdb and its lock file to <name>.moved-<time> (never deletes); stop the agent first')
      .addOption(new Option('--db <dir>', 'the store directory (default: storage.path of --config, else /var/lib/autotracer/events)'))
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async (opts: { db?: string; format: 'text' | 'json' }, cmd: Command) => {
        const { runStore } = await import('./commands/store.js');
        done(await runStore(globals(cmd), action, opts));
      });
  }

  program
    .command('doctor')
    .description('can each tracer run here? checks BTF, tracepoints, program types, cgroups, permissions, paths')
    .option('--json', 'JSON report', false)
    .option('--btf <file>', "predict for another kernel from its BTF (/sys/kernel/btf/vmlinux or vmlinux of that kernel); loads nothing")
    .action(async (opts: { json: boolean; btf?: string }, cmd: Command) => {
      const { runDoctorCommand } = await import('./commands/ops.js');
      const config = globals(cmd).config;
      done(await runDoctorCommand({ ...(config !== undefined ? { config } : {}), json: opts.json, ...(opts.btf !== undefined ? { btf: opts.btf } : {}) }));
    });

  program
    .command('cost')
    .description('what the running agent costs here: CPU and memory per actor, ns per BPF invocation x invocations/s (needs the API token: BPF stats go on for the window)')
    .option('--seconds <n>', 'measuring window (1..300)', positiveInt(300), 10)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'prometheus']).default('table'))
    .option('--ab <tracers>', 'also A/B these tracers (comma-separated) on a built-in pinned ping-pong: stopped and started through the API, rounds interleaved', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--rounds <n>', 'A/B rounds (1..100)', positiveInt(100), 5)
    .option('--loops <n>', 'ping-pong round trips per run (1..10000000)', positiveInt(10_000_000), 20_000)
    .action(async (opts: { seconds: number; format: 'table' | 'json' | 'prometheus'; ab?: string[]; rounds: number; loops: number }, cmd: Command) => {
      const { runCost } = await import('./commands/cost.js');
      done(await runCost(globals(cmd), opts));
    });

  program
    .command('new-tracer <name>')
    .description('scaffold a tracer: its folder, a BPF stub and a test')
    .option('--dir <dir>', 'repository root to write into (default: this checkout)')
    .option('--force', 'overwrite existing files', false)
    .action(async (name: string, opts: { dir?: string; force: boolean }) => {
      const { runNewTracerCommand } = await import('./commands/ops.js');
      done(await runNewTracerCommand(name, { ...(opts.dir !== undefined ? { dir: opts.dir } : {}), force: opts.force }));
    });

  // Every subcommand's --help ends with the exit codes too (scripts branch on them).
  const addEpilogue = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.addHelpText('after', '\nExit codes: 0 ok, 1 runtime failure, 2 usage/config error, 3 not found, 4 auth refused (details: autotracer --help)');
      addEpilogue(sub);
    }
  };
  addEpilogue(program);
  return program;
}

/** Root options that take a value (needed to find the command word in argv). */
const valueOptions = new Set(['-c', '--config', '--api', '--token-file', '--timeout']);

/**
 * Without a command word the agent runs (`autotracer`, `autotracer --config f`), as it
 * always has; `--help`/`--version` still print.
 */
export function withDefaultCommand(argv: readonly string[]): string[] {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help' || a === '-V' || a === '--version') return [...argv];
    if (valueOptions.has(a)) {
      i++;
      continue;
    }
    if (a === '--' || !a.startsWith('-')) return [...argv];
  }
  return ['run', ...argv];
}

/** Parses argv (without node and the script), runs the command, returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let status: number = ExitCode.ok;
  const program = buildProgram((s) => (status = s));
  try {
    await program.parseAsync(withDefaultCommand(argv), { from: 'user' });
    return status;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are answers; everything else commander rejects is bad usage.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(err);
  }
}
