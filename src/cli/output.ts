// Where the CLI writes: results on stdout (pipeable, nothing else there), errors as one
// `autotracer: ` line plus a `hint: ` line on stderr, and progress on stderr only when it
// is a terminal (a script capturing stderr must not get carriage-return noise).
import { CodedError } from '../common/coded-error.js';
import { CliError, ExitCode, defaultHint, exitCodeOf, type ExitStatus } from './errors.js';

/** Writes and waits until the chunk is handed to the OS (so process.exit loses nothing). */
export function writeOut(chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

export function printError(message: string, hint: string): void {
  // One line: a multi-line cause (a stack, a JSON body) would bury the message.
  const line = message.replace(/\s*\n\s*/g, '; ');
  process.stderr.write(`autotracer: ${line}\nhint: ${hint}\n`);
}

/** Prints any error the way the CLI promises and returns its exit status. */
export function reportError(err: unknown): ExitStatus {
  if (err instanceof CliError) {
    printError(err.message, err.hint ?? defaultHint(err.code));
    return exitCodeOf(err.code);
  }
  if (err instanceof CodedError) {
    printError(`${err.message} (${err.code})`, 'run with AUTOTRACER_DEBUG=1 for the stack trace');
    if (process.env.AUTOTRACER_DEBUG === '1') process.stderr.write(`${err.stack ?? ''}\n`);
    return ExitCode.failure;
  }
  const message = err instanceof Error ? err.message : String(err);
  printError(`unexpected failure: ${message}`, 'run with AUTOTRACER_DEBUG=1 for the stack trace');
  if (process.env.AUTOTRACER_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
  return ExitCode.failure;
}

export interface Progress {
  update(text: string): void;
  done(): void;
}

/** A one-line progress indicator on stderr; silent unless stderr is a TTY. */
export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true) return { update: () => undefined, done: () => undefined };
  const started = Date.now();
  const frames = ['|', '/', '-', '\\'];
  let frame = 0;
  let text = '';
  let finished = false;
  const draw = (): void => {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${label}${text !== '' ? ` ${text}` : ''} (${secs}s)`);
  };
  draw();
  const timer = setInterval(draw, 200);
  timer.unref();
  // Ctrl-C while waiting: leave a clean line and say what happens to the request (the
  // agent finishes a capture it has started; nothing here can cancel it).
  const onInterrupt = (): void => {
    clearInterval(timer);
    stream.write(`\r\x1b[2K`);
    printError(`interrupted while ${label.replace(/:$/, '')}`, 'the agent finishes an operation it has started; check with `autotracer status` or `autotracer events`');
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  return {
    update(next: string) {
      text = next;
      draw();
    },
    done() {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      process.off('SIGINT', onInterrupt);
      stream.write('\r\x1b[2K');
    },
  };
}
