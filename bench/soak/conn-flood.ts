// The soak's connection-flood phase (issue #12 item 4): thousands of silent loopback
// connections while tracers run. The agent must keep answering /healthz and authorized
// requests, hold no more sockets than its connection cap, close the silent ones at its
// headers timeout (10 s by default), and no tracer may crash for want of descriptors (the
// soak's uninjected-crashes check covers that; EMFILE in the log is checked here).
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { AgentProcess } from './agent.js';

export interface FloodResult {
  sockets: number;
  /** Sockets the agent had already closed when the probes ran (evicted at the cap). */
  closedEarly: number;
  healthzStatus: number;
  healthzMs: number;
  authorizedStatus: number;
  /** Time from the first connect until the agent had closed every flood socket (undefined: not within the wait). */
  allClosedMs: number | undefined;
  emfileLines: number;
}

export async function connectionFlood(agent: AgentProcess, logFile: string, sockets: number, waitMs: number, log: (msg: string) => void): Promise<FloodResult> {
  const url = new URL(agent.apiUrl());
  const port = Number(url.port);
  const opened: Socket[] = [];
  const started = Date.now();
  let closed = 0;
  let lastClosed = 0;
  log(`connection flood: ${sockets} silent sockets to ${url.host}`);
  try {
    for (let i = 0; i < sockets; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, sockets - i) }, () => new Promise<void>((resolve) => {
        const s = connect(port, url.hostname);
        opened.push(s);
        s.resume();
        s.on('error', () => undefined);
        s.once('connect', () => resolve());
        s.once('close', () => {
          closed++;
          lastClosed = Date.now() - started;
          resolve();
        });
      })));
    }
    const closedEarly = closed;
    const t0 = Date.now();
    const health = await fetch(`${url.origin}/healthz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, () => 0);
    const healthzMs = Date.now() - t0;
    const authorizedStatus = await agent.probeAuthorized();
    const deadline = Date.now() + waitMs;
    while (closed < sockets && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const emfileLines = readFileSync(logFile, 'utf8').split('\n').filter((l) => /EMFILE|too many open files/i.test(l)).length;
    const result: FloodResult = { sockets, closedEarly, healthzStatus: health, healthzMs, authorizedStatus, allClosedMs: closed === sockets ? lastClosed : undefined, emfileLines };
    log(`connection flood over: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const s of opened) s.destroy();
  }
}

export function floodOk(r: FloodResult): boolean {
  return r.healthzStatus === 200 && r.authorizedStatus === 404 && r.allClosedMs !== undefined && r.emfileLines === 0;
}

export function describeFlood(r: FloodResult): string {
  return `${r.sockets} silent sockets (${r.closedEarly} evicted at the cap at once): /healthz ${r.healthzStatus} in ${r.healthzMs} ms, ` +
    `authorized request ${r.authorizedStatus}, all closed ${r.allClosedMs === undefined ? 'NOT within the wait' : `after ${(r.allClosedMs / 1000).toFixed(1)} s`}, EMFILE log lines ${r.emfileLines}`;
}
