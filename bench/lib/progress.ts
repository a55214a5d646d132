// Progress on stderr ("[3/8] pipe ping-pong: run 2/5 …"), so stdout stays the report.
// Benchmarks get a Progress and call step(); the entry sets the "[i/n] name" prefix.

export interface Progress {
  /** One line of progress for the current benchmark. */
  step(message: string): void;
}

export function stderrProgress(prefix: string): Progress {
  return {
    step(message: string): void {
      process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${prefix} ${message}\n`);
    },
  };
}
