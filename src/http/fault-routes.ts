// POST /api/v1/tracers/:name/fault {"kind": "..."}: soak tests only (docs/soak.md). The
// route exists only when the agent runs with AUTOTRACER_FAULT_INJECTION=1 — otherwise it
// is not in the route table at all and answers 404 like any unknown path — and, as every
// state-changing endpoint, it needs the bearer token. Never enable it in production.
import { z } from 'zod';
import { faultInjectionEnabled, faultKinds, type FaultKind } from '../actors/protocol.js';
import { readJsonObject } from './body.js';
import { HttpError } from './errors.js';
import { sendData } from './respond.js';
import type { Route } from './routes.js';

/** What the route needs from the agent (the Supervisor has it). */
export interface FaultTarget {
  injectFault(name: string, kind: FaultKind): void;
}

const faultBodySchema = z.strictObject({ kind: z.enum(faultKinds) });

function isFaultTarget(agent: unknown): agent is FaultTarget {
  return typeof (agent as Partial<FaultTarget> | null)?.injectFault === 'function';
}

export function faultRoutes(agent: unknown, maxBodyBytes: number): Route[] {
  if (!faultInjectionEnabled() || !isFaultTarget(agent)) return [];
  return [
    {
      method: 'POST', pattern: '/api/v1/tracers/:name/fault', auth: true,
      handler: async ({ req, res, params }) => {
        const name = params.name!;
        const parsed = faultBodySchema.safeParse(await readJsonObject(req, maxBodyBytes));
        if (!parsed.success) {
          throw new HttpError(400, 'BAD_REQUEST', `body.kind: must be one of ${faultKinds.join(', ')}`);
        }
        try {
          agent.injectFault(name, parsed.data.kind);
        } catch (err) {
          // UNKNOWN_TRACER / TRACER_NOT_RUNNING pass through (404 / 409); a kind this
          // tracer cannot take is the caller's mistake.
          if ((err as { code?: unknown }).code === 'FAULT_UNSUPPORTED') throw new HttpError(400, 'BAD_REQUEST', (err as Error).message);
          if ((err as { code?: unknown }).code === 'FAULT_INJECTION_DISABLED') throw new HttpError(404, 'NOT_FOUND', (err as Error).message);
          throw err;
        }
        sendData(res, 202, { tracer: name, kind: parsed.data.kind, injected: true });
      },
    },
  ];
}
