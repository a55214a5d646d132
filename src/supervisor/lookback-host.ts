// Hosts the one look-back sampler of the agent (issue 14 item 6). It lives here, in the
// supervisor's thread, because the supervisor already relays every tracer's requests:
// a tracer asks for `before` with one message and gets the slice in one reply, without
// a second actor to route through. Its steady work is one batched read of the kernel's
// per-(stack, second) counts every 5 s (the program aggregates; no record per sample);
// symbolization happens in the asking tracer's pool.
// The sampler module (and the addon) is imported only when enabled.
import type { LookbackAnswer } from '../actors/tracer-api.js';
import type { LookbackSampler, LookbackSamplerStats } from '../capture/lookback-sampler.js';

export interface LookbackSettings {
  enabled: boolean;
  /** Hz per CPU */
  frequency: number;
  /** History kept, seconds */
  seconds: number;
}

export type LookbackStatus =
  | { state: 'disabled' }
  | { state: 'failed'; reason: string }
  | ({ state: 'running' } & LookbackSamplerStats);

export class LookbackHost {
  #sampler: LookbackSampler | undefined;
  #failure: string | undefined;

  constructor(private readonly settings: LookbackSettings | undefined) {}

  /** Starts the sampler; a failure (no perf events, no BPF) is reported in status, never thrown. */
  async start(): Promise<string | undefined> {
    if (this.settings?.enabled !== true) return undefined;
    try {
      const { LookbackSampler } = await import('../capture/lookback-sampler.js');
      this.#sampler = LookbackSampler.start({ frequency: this.settings.frequency, retentionSeconds: this.settings.seconds });
    } catch (err) {
      this.#failure = (err as Error).message;
    }
    return this.#failure;
  }

  answer(fromMs: number, toMs: number, cgroupId?: string): LookbackAnswer {
    if (this.#sampler === undefined) return { ok: false, reason: this.#failure ?? 'the look-back sampler is disabled (supervisor.lookback.enabled)' };
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs >= toMs) return { ok: false, reason: `bad look-back range [${fromMs}, ${toMs})` };
    try {
      if (cgroupId !== undefined && !/^\d+$/.test(cgroupId)) return { ok: false, reason: `bad cgroup id ${JSON.stringify(cgroupId)}` };
      return { ok: true, slice: this.#sampler.slice(fromMs, toMs, cgroupId) };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }

  status(): LookbackStatus {
    if (this.#sampler !== undefined) return { state: 'running', ...this.#sampler.stats() };
    return this.#failure === undefined ? { state: 'disabled' } : { state: 'failed', reason: this.#failure };
  }

  stop(): void {
    this.#sampler?.close();
    this.#sampler = undefined;
  }
}
