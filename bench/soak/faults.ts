// Fault injection during the soak: every few seconds a random crash kind into a random
// running tracer (never the canary; segv only into process-isolated tracers), through the
// agent's HTTP route. Each injection is then watched until the tracer's lastExit shows a
// crash after it, and its classification is compared with the kind's expected reason.
import type { FaultKind } from '../../src/actors/protocol.js';
import type { AgentProcess, TracerView } from './agent.js';
import { CANARY } from './config.js';
import type { Rng } from './rng.js';

const THREAD_KINDS: readonly FaultKind[] = ['throw', 'unhandled-rejection', 'exit', 'hang', 'heap-oom'];
const PROCESS_KINDS: readonly FaultKind[] = [...THREAD_KINDS, 'segv'];
/**
 * Kinds that burn a CPU until the crash is seen: a hang spins until the watchdog kills it
 * (missedHeartbeats s, 8 in the soak), a heap exhaustion spins in GC. Only one of them is in
 * flight at a time: two at once take both CPUs of this 2-CPU machine, and what then stalls is
 * every thread, not the agent (a full-suite soak saw a 5.2 s canary gap exactly while a hang
 * and a heap-oom overlapped).
 */
const CPU_BURNING: ReadonlySet<FaultKind> = new Set(['hang', 'heap-oom']);

/** The crash reason each kind must be classified as (V8 aborts a child on heap exhaustion). */
export function expectedReason(kind: FaultKind, isolation: 'thread' | 'process'): string {
  switch (kind) {
    case 'throw':
      return 'uncaught-exception';
    case 'unhandled-rejection':
      return 'unhandled-rejection';
    case 'exit':
      return 'exit';
    case 'hang':
      return 'hang';
    case 'heap-oom':
      return isolation === 'thread' ? 'oom' : 'signal';
    case 'segv':
      return 'signal';
    default: {
      const _never: never = kind;
      return _never;
    }
  }
}

/**
 * interrupted: the agent was killed (kill -9) before the crash could be seen; skipped: the
 * tracer was no longer running when the request arrived (409), nothing was injected.
 */
export type FaultOutcome = 'classified' | 'misclassified' | 'not-observed' | 'interrupted' | 'skipped' | 'refused';

export interface FaultRecord {
  at: number;
  tracer: string;
  isolation: 'thread' | 'process';
  kind: FaultKind;
  expected: string;
  observed?: string;
  outcome?: FaultOutcome;
  detail?: string;
}

export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private readonly outstanding = new Set<string>();
  /** Tracers with a CPU-burning fault (hang, heap-oom) not yet seen to crash. */
  private readonly burning = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private agent: AgentProcess | undefined;
  private running = false;
  private readonly verifications = new Set<Promise<void>>();

  constructor(private readonly rng: Rng, private readonly log: (msg: string) => void, private readonly periodMs: [number, number] = [2000, 4000]) {}

  /** The agent to inject into; undefined while it is down (kill -9 window). */
  setAgent(agent: AgentProcess | undefined): void {
    this.agent = agent;
  }

  start(): void {
    this.running = true;
    this.schedule();
  }

  /** Holds injections (for a quiet measurement) until resume(); waits for outstanding verifications. */
  async pause(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await Promise.allSettled([...this.verifications]);
  }

  resume(): void {
    this.start();
  }

  /** Stops injecting and waits for the outstanding verifications. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await Promise.allSettled([...this.verifications]);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.injectOne().finally(() => this.schedule());
    }, this.rng.int(this.periodMs[0], this.periodMs[1]));
  }

  private async injectOne(): Promise<void> {
    const agent = this.agent;
    if (agent === undefined || !agent.alive) return;
    let tracers: TracerView[];
    try {
      tracers = await agent.tracers();
    } catch {
      return; // the agent is going down; the next tick sees it
    }
    const candidates = tracers.filter((t) => t.name !== CANARY && t.state === 'running' && !this.outstanding.has(t.name));
    if (candidates.length === 0) return;
    const victim = this.rng.pick(candidates);
    const kinds = victim.isolation === 'process' ? PROCESS_KINDS : THREAD_KINDS;
    const kind = this.rng.pick(this.burning.size > 0 ? kinds.filter((k) => !CPU_BURNING.has(k)) : kinds);
    const record: FaultRecord = { at: Date.now(), tracer: victim.name, isolation: victim.isolation, kind, expected: expectedReason(kind, victim.isolation) };
    this.records.push(record);
    let res: { status: number; body: string };
    try {
      res = await agent.injectFault(victim.name, kind);
    } catch (err) {
      record.outcome = 'interrupted';
      record.detail = (err as Error).message;
      return;
    }
    if (res.status !== 202) {
      // 409: it stopped running between the listing and the injection (a crash of its own).
      record.outcome = res.status === 409 ? 'skipped' : 'refused';
      record.detail = `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
      return;
    }
    this.log(`fault: ${kind} → ${victim.name} (${victim.isolation})`);
    this.outstanding.add(victim.name);
    if (CPU_BURNING.has(kind)) this.burning.add(victim.name);
    const v = this.verify(agent, record, victim.restarts).finally(() => {
      this.outstanding.delete(victim.name);
      this.burning.delete(victim.name);
      this.verifications.delete(v);
    });
    this.verifications.add(v);
  }

  /** Waits (≤ 30 s) for a crash after the injection and compares its classification. */
  private async verify(agent: AgentProcess, record: FaultRecord, restartsBefore: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      if (!agent.alive || this.agent !== agent) {
        record.outcome = 'interrupted';
        record.detail = 'the agent was killed before the crash was seen';
        return;
      }
      let view: TracerView;
      try {
        view = await agent.tracer(record.tracer);
      } catch {
        continue;
      }
      if (view.restarts > restartsBefore && view.lastExit !== null && view.lastExit.at >= record.at) {
        record.observed = view.lastExit.reason;
        record.outcome = record.observed === record.expected ? 'classified' : 'misclassified';
        if (record.outcome === 'misclassified') record.detail = `code ${view.lastExit.code}, signal ${view.lastExit.signal}`;
        return;
      }
    }
    record.outcome = 'not-observed';
  }
}
