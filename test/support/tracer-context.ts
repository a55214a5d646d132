// A TracerContext for driving a tracer directly, without the supervisor (whose path has
// its own tests): `save` collects events in memory; the cooldown is a real in-memory ledger
// honouring seconds, which a fresh Tracer object can share (= a restarted tracer); BPF
// objects opened through loadBpf are closed by closeAll().
import { BpfObject } from '../../src/native/index.js';
import type { CooldownState, SaveInput, TracerContext } from '../../src/actors/tracer-api.js';
import { ContainerViewCache } from '../../src/actors/container-view.js';

export class CooldownLedger {
  private readonly until = new Map<string, number>();
  /** Every tryArm/arm: key and whether it was granted. */
  readonly log: Array<{ key: string; granted: boolean; at: number }> = [];

  state(key: string): CooldownState {
    const u = this.until.get(key) ?? 0;
    return { ready: u <= Date.now(), until: u };
  }
  arm(key: string, seconds: number): CooldownState {
    this.until.set(key, Date.now() + seconds * 1000);
    this.log.push({ key, granted: true, at: Date.now() });
    return this.state(key);
  }
  tryArm(key: string, seconds: number): boolean {
    if (!this.state(key).ready) {
      this.log.push({ key, granted: false, at: Date.now() });
      return false;
    }
    this.arm(key, seconds);
    return true;
  }
}

export interface TestContext<S> extends TracerContext<S> {
  readonly saved: SaveInput[];
  readonly ledger: CooldownLedger;
  readonly objects: BpfObject[];
  closeAll(): void;
}

function ownRoot(settings: unknown, key: 'procRoot' | 'sysRoot'): string | undefined {
  const value = typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function testContext<S>(name: string, config: S, signal: AbortSignal, options: { ledger?: CooldownLedger; cooldownSeconds?: number; procRoot?: string; sysRoot?: string } = {}): TestContext<S> {
  const ledger = options.ledger ?? new CooldownLedger();
  const cooldownSeconds = options.cooldownSeconds ?? 1800;
  const saved: SaveInput[] = [];
  const objects: BpfObject[] = [];
  // As in the runtime: built on first use from the tracer's settings.containers.
  const containerViews = new ContainerViewCache(name);
  return {
    name,
    signal,
    config,
    cooldownSeconds,
    // As in the runtime: the tracer's own settings.procRoot / sysRoot win, else the option, else the host.
    procRoot: ownRoot(config, 'procRoot') ?? options.procRoot ?? '/proc',
    sysRoot: ownRoot(config, 'sysRoot') ?? options.sysRoot ?? '/sys',
    saved,
    ledger,
    objects,
    loadBpf: async (object, opts) => {
      const o = BpfObject.openBuilt(object, opts);
      objects.push(o);
      return o;
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
    get containers() {
      return containerViews.view(config);
    },
    closeAll() {
      for (const o of objects.splice(0)) o.close();
    },
  };
}
