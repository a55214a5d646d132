// POST /api/v1/cost/measure {"seconds": N}: what the agent costs on this host over an
// N-second window (src/cost/measure.ts, docs/cost.md). A state change (BPF run-time stats
// are switched on host-wide for the window), so it needs the bearer token. One window at a
// time (409 while one runs).
import { z } from 'zod';
import { measureCost, MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS, type CostSource } from '../cost/measure.js';
import { readJsonObject } from './body.js';
import { HttpError } from './errors.js';
import { sendData } from './respond.js';
import type { Route } from './routes.js';

const bodySchema = z.strictObject({ seconds: z.number().min(MIN_WINDOW_SECONDS).max(MAX_WINDOW_SECONDS).default(10) });

export function costRoutes(agent: CostSource, maxBodyBytes: number): Route[] {
  return [
    {
      method: 'POST', pattern: '/api/v1/cost/measure', auth: true,
      handler: async ({ req, res }) => {
        const parsed = bodySchema.safeParse(await readJsonObject(req, maxBodyBytes));
        if (!parsed.success) throw new HttpError(400, 'BAD_REQUEST', `body.seconds: a number of seconds ${MIN_WINDOW_SECONDS}..${MAX_WINDOW_SECONDS}`);
        try {
          const { enableBpfStats } = await import('../native/index.js');
          sendData(res, 200, await measureCost(agent, parsed.data.seconds, { enableStats: enableBpfStats }));
        } catch (err) {
          if ((err as { code?: unknown }).code === 'COST_BUSY') throw new HttpError(409, 'CONFLICT', (err as Error).message);
          throw err;
        }
      },
    },
  ];
}
