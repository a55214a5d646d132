// The fake Elasticsearch's health during the soak: it cycles down (connections refused) →
// 503 on every request → slow (answers after longer than the agent's request timeout, so
// requests time out, are retried and meet 409s for documents already created) → healthy,
// each phase lasting a random few seconds. healthy() ends the cycle for the drain.
import type { FakeElasticsearch } from '../../test/support/fake-es.js';
import type { Rng } from './rng.js';

export type EsPhase = 'down' | '503' | 'slow' | 'healthy';
const CYCLE: readonly EsPhase[] = ['down', '503', 'slow', 'healthy'];
/** Longer than the agent's requestTimeoutMs (2000, bench/soak/config.ts). */
const SLOW_DELAY_MS = 2500;

export class EsFlapper {
  readonly phaseCounts: Record<EsPhase, number> = { down: 0, '503': 0, slow: 0, healthy: 0 };
  private timer: NodeJS.Timeout | undefined;
  private index = 0;
  private running = false;
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly es: FakeElasticsearch, private readonly rng: Rng, private readonly log: (msg: string) => void) {}

  start(): void {
    this.running = true;
    this.next();
  }

  /** Stops cycling and leaves ES healthy. */
  async healthy(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.transition;
    await this.apply('healthy');
  }

  private next(): void {
    if (!this.running) return;
    const phase = CYCLE[this.index++ % CYCLE.length]!;
    this.transition = this.apply(phase);
    this.phaseCounts[phase]++;
    this.timer = setTimeout(() => void this.transition.then(() => this.next()), this.rng.int(3000, 8000));
  }

  private async apply(phase: EsPhase): Promise<void> {
    const f = this.es.faults;
    delete f.failRequests;
    delete f.delayMs;
    if (phase !== 'down') await this.es.acceptConnections();
    switch (phase) {
      case 'down':
        await this.es.refuseConnections();
        break;
      case '503':
        f.failRequests = { status: 503, count: Number.MAX_SAFE_INTEGER, all: true };
        break;
      case 'slow':
        f.delayMs = SLOW_DELAY_MS;
        break;
      case 'healthy':
        break;
      default: {
        const _never: never = phase;
        return _never;
      }
    }
    this.log(`es: ${phase}`);
  }
}
