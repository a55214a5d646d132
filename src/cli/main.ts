#!/usr/bin/env node
// The `autotracer` executable: `run` (the agent) and the client commands (program.ts).
// Exit statuses are documented in `autotracer --help` and docs/cli.md.
import { main } from './program.js';

// `autotracer events | head`: the reader went away; that is the end of the output, not an
// error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// Exit explicitly: after `run`, a worker stuck in native code (which terminate() cannot
// stop) must not keep a stopped agent alive; the client commands have flushed stdout.
process.exit(await main(process.argv.slice(2)));
