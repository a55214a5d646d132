// A TracerContext for driving dload/memburst directly (the supervisor path is tested
// elsewhere): `save` collects events in memory; the cooldown is a real in-memory ledger
// that honours seconds and can be shared by a fresh Tracer object (= a restarted tracer).
import type { CooldownState, SaveInput, TracerContext } from '../../src/actors/tracer-api.js';

export class CooldownLedger {
  private readonly until = new Map<string, number>();
  /** Every tryArm call: key and whether it was granted. */
  readonly log: Array<{ key: string; granted: boolean; at: number }> = [];

  state(key: string): CooldownState {
    const u = this.until.get(key) ?? 0;
    return { ready: u <= Date.now(), until: u };
  }

  arm(key: string, seconds: number): CooldownState {
    this.until.set(key, Date.now() + seconds * 1000);
    return this.state(key);
  }

  tryArm(key: string, seconds: number): boolean {
    const granted = this.state(key).ready;
    if (granted) this.arm(key, seconds);
    this.log.push({ key, granted, at: Date.now() });
    return granted;
  }
}

export interface TestContext<S> extends TracerContext<S> {
  readonly saved: SaveInput[];
  readonly ledger: CooldownLedger;
}

export function testContext<S>(name: string, config: S, signal: AbortSignal, ledger = new CooldownLedger(), cooldownSeconds = 1800): TestContext<S> {
  const saved: SaveInput[] = [];
  return {
    name,
    signal,
    config,
    cooldownSeconds,
    saved,
    ledger,
    loadBpf: async () => {
      throw new Error(`${name} uses no BPF`);
    },
    save: async (input) => {
      saved.push(input);
      return `${name}-event-${saved.length}`;
    },
    cooldown: {
      check: async (key = '') => ledger.state(key),
      arm: async (key = '', seconds = cooldownSeconds) => ledger.arm(key, seconds),
      tryArm: async (key = '', seconds = cooldownSeconds) => ledger.tryArm(key, seconds),
    },
    logger: { debug: () => undefined, info: () => undefined, warn: (msg, f) => console.error(msg, f), error: (msg, f) => console.error(msg, f) },
    containers: null,
  };
}
