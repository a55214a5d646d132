// A TracerContext for driving the cputracers directly (the supervisor path is tested by
// others): `save` collects events in memory, the cooldown is a real in-memory ledger that
// honours seconds, BPF objects opened through loadBpf are closed by closeAll().
import type { BpfObject } from '../../src/native/index.js';
import { BpfObject as Bpf } from '../../src/native/index.js';
import type { CooldownState, SaveInput, TracerContext } from '../../src/actors/tracer-api.js';

export interface TestContext<S> extends TracerContext<S> {
  readonly saved: SaveInput[];
  /** Every tryArm/arm call: key and whether it was granted. */
  readonly armLog: Array<{ key: string; granted: boolean }>;
  closeAll(): void;
}

export function testContext<S>(name: string, config: S, signal: AbortSignal, cooldownSeconds = 1800): TestContext<S> {
  const until = new Map<string, number>();
  const saved: SaveInput[] = [];
  const armLog: Array<{ key: string; granted: boolean }> = [];
  const objects: BpfObject[] = [];
  const state = (key: string): CooldownState => {
    const u = until.get(key) ?? 0;
    return { ready: u <= Date.now(), until: u };
  };
  const arm = (key: string, seconds: number): CooldownState => {
    until.set(key, Date.now() + seconds * 1000);
    return state(key);
  };
  return {
    name,
    signal,
    config,
    cooldownSeconds,
    saved,
    armLog,
    loadBpf: async (object, options) => {
      const o = Bpf.openBuilt(object, options);
      objects.push(o);
      return o;
    },
    save: async (input) => {
      saved.push(input);
      return `${name}-event-${saved.length}`;
    },
    cooldown: {
      check: async (key = '') => state(key),
      arm: async (key = '', seconds = cooldownSeconds) => arm(key, seconds),
      tryArm: async (key = '', seconds = cooldownSeconds) => {
        const granted = state(key).ready;
        if (granted) arm(key, seconds);
        armLog.push({ key, granted });
        return granted;
      },
    },
    logger: { debug: () => undefined, info: () => undefined, warn: (msg, f) => console.error(msg, f), error: (msg, f) => console.error(msg, f) },
    containers: null,
    closeAll() {
      for (const o of objects.splice(0)) o.close();
    },
  };
}
