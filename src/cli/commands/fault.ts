// `autotracer fault <tracer> <kind>`: makes a running tracer crash itself (throw, segv,
// hang, ...) to see what the agent does with it: the crash in the log with its stack, the
// restart, the budget. Only an agent started with AUTOTRACER_FAULT_INJECTION=1 (or by
// `autotracer dev --faults`) has the route (POST /api/v1/tracers/:name/fault, token needed);
// any other agent answers 404 for it, which is reported as "fault injection is off".
import type { FaultKind } from '../../actors/protocol.js';
import { FAULT_INJECTION_ENV } from '../../actors/protocol.js';
import { AgentClient } from '../client.js';
import { clientContext, type GlobalOptions } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { writeOut } from '../output.js';
import { unknownTracerHint } from './tracers.js';

export async function runFault(globals: GlobalOptions, tracer: string, kind: FaultKind): Promise<number> {
  const client = new AgentClient(await clientContext(globals));
  try {
    await client.send('POST', `/api/v1/tracers/${encodeURIComponent(tracer)}/fault`, { body: { kind }, notFound: { hint: unknownTracerHint } });
  } catch (err) {
    // The route is not in the table of an agent without fault injection: a plain 404.
    if (err instanceof CliError && err.code === 'CLI_BAD_RESPONSE' && /no such endpoint/.test(err.message)) {
      throw new CliError('CLI_UNAVAILABLE', `fault injection is off in the agent at ${client.url}`,
        `start it with ${FAULT_INJECTION_ENV}=1, or run \`autotracer dev ${tracer} --faults\` (never in production)`);
    }
    throw err;
  }
  await writeOut(`${tracer}: fault injected (${kind}); \`autotracer status --format json\` shows the crash and its stack\n`);
  return ExitCode.ok;
}
