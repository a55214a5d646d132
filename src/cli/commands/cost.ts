// `autotracer cost`: what the running agent costs on this host, measured by the agent over a
// window (POST /api/v1/cost/measure: BPF run-time stats on for the window only, so it needs
// the token) and printed as a table, JSON or Prometheus text. docs/cost.md reads it.
import type { CostReport } from '../../cost/measure.js';
import { AgentClient } from '../client.js';
import { clientContext, type GlobalOptions } from '../context.js';
import { renderCostPrometheus, renderCostTable } from '../cost-format.js';
import { ExitCode } from '../errors.js';
import { startProgress, writeOut } from '../output.js';

export type CostFormat = 'table' | 'json' | 'prometheus';

export interface CostOptions {
  seconds: number;
  format: CostFormat;
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
  switch (opts.format) {
    case 'json':
      await writeOut(`${JSON.stringify(report, null, 2)}\n`);
      break;
    case 'prometheus':
      await writeOut(renderCostPrometheus(report));
      break;
    case 'table':
      await writeOut(renderCostTable(report));
      break;
    default: {
      const never: never = opts.format;
      return never;
    }
  }
  return ExitCode.ok;
}
