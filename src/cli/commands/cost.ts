// `autotracer cost`: what the running agent costs on this host, measured by the agent over a
// window (POST /api/v1/cost/measure: BPF run-time stats on for the window only, so it needs
// the token) and printed as a table, JSON or Prometheus text. With --ab, each named tracer is
// also stopped and started through the API around the built-in pinned ping-pong (rounds
// interleaved, with the noise floor). docs/cost.md reads it.
import type { CostReport } from '../../cost/measure.js';
import { AgentClient } from '../client.js';
import { clientContext, type GlobalOptions } from '../context.js';
import { runAb, type AbResult } from '../../cost/ab.js';
import { pingPong } from '../../cost/pingpong.js';
import { renderCostPrometheus, renderCostTable } from '../cost-format.js';
import { ExitCode } from '../errors.js';
import { startProgress, writeOut } from '../output.js';
import { unknownTracerHint } from './tracers.js';

export type CostFormat = 'table' | 'json' | 'prometheus';

export interface CostOptions {
  seconds: number;
  format: CostFormat;
  /** Tracers to A/B on the built-in ping-pong (stopped and started through the API). */
  ab?: string[];
  rounds?: number;
  loops?: number;
}

export async function runCost(globals: GlobalOptions, opts: CostOptions): Promise<number> {
  // The agent answers after the window: wait for it plus the usual request time.
  const client = new AgentClient(await clientContext(globals, opts.seconds * 1000 + 30_000));
  const progress = startProgress('cost:');
  progress.update(`measuring for ${opts.seconds} s (BPF run-time stats on for the window only)`);
  let report: CostReport;
  try {
    report = (await client.send<CostReport>('POST', '/api/v1/cost/measure', { body: { seconds: opts.seconds } })).data;
  } finally {
    progress.done();
  }
  const ab: AbResult[] = [];
  for (const tracer of opts.ab ?? []) {
    const rounds = opts.rounds ?? 5;
    const loops = opts.loops ?? 20_000;
    const p = startProgress(`cost --ab ${tracer}:`);
    let round = 0;
    try {
      ab.push(
        await runAb(tracer, rounds, 3, {
          stop: async (name) => void (await client.send('PUT', `/api/v1/tracers/${encodeURIComponent(name)}/stop`, { notFound: { hint: unknownTracerHint } })),
          start: async (name) => void (await client.send('PUT', `/api/v1/tracers/${encodeURIComponent(name)}/start`, { notFound: { hint: unknownTracerHint } })),
          run: () => {
            p.update(`round ${Math.floor(round++ / 6) + 1}/${rounds}: ping-pong ${loops} round trips`);
            return pingPong(loops);
          },
        }),
      );
    } finally {
      p.done();
    }
  }
  const withAb = ab.length > 0 ? ab : undefined;
  switch (opts.format) {
    case 'json':
      await writeOut(`${JSON.stringify(withAb !== undefined ? { ...report, ab: withAb } : report, null, 2)}\n`);
      break;
    case 'prometheus':
      await writeOut(renderCostPrometheus(report, withAb));
      break;
    case 'table':
      await writeOut(renderCostTable(report, withAb));
      break;
    default: {
      const never: never = opts.format;
      return never;
    }
  }
  return ExitCode.ok;
}
