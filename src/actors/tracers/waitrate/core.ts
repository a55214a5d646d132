// The BPF core of waitrate, usable without the actor runtime (tests, bench): the always-on
// counters object and the interval sampler that turns cumulative counters into per-container
// rates. No timers here: the caller decides when to sample.
import type { Container, CpuUsage, Throttling } from '../../../containers/index.js';
import type { BpfObject, BpfOpenOptions } from '../../../native/index.js';
import {
  readCgroupCounters,
  readWaitrateStats,
  waitrateRodata,
  zeroCounters,
  waitrateMapSizes,
  WAITRATE_MAX_CGROUPS,
  WAITRATE_OBJECT,
  type CgroupWaitCounters,
  type WaitrateStats,
} from '../../../native/bpf/waitrate.js';
import { computeRates, counterDelta, type IntervalDelta, type WaitRates } from './rates.js';

export type BpfOpener = (name: string, options: BpfOpenOptions) => BpfObject | Promise<BpfObject>;

/** The always-on programs: opens, attaches, reads; close() detaches. */
export class WaitrateCounters {
  private constructor(readonly object: BpfObject) {}

  static async open(open: BpfOpener, options: { trackRoot?: boolean; maxCgroups?: number } = {}): Promise<WaitrateCounters> {
    const object = await open(WAITRATE_OBJECT, {
      rodata: waitrateRodata({ trackRoot: options.trackRoot ?? false, maxCgroups: options.maxCgroups ?? WAITRATE_MAX_CGROUPS }),
      mapSizes: waitrateMapSizes(options.maxCgroups ?? WAITRATE_MAX_CGROUPS),
    });
    try {
      object.attach();
    } catch (err) {
      object.close();
      throw err;
    }
    return new WaitrateCounters(object);
  }

  /** Cumulative counters per v2 cgroup id, summed over CPUs. */
  read(): Map<bigint, CgroupWaitCounters> {
    return readCgroupCounters(this.object);
  }

  stats(): WaitrateStats {
    return readWaitrateStats(this.object);
  }

  close(): void {
    this.object.close();
  }
}

/** What the sampler needs from the container resolver (structural: tests may pass a stub). */
export interface ContainerSource {
  list(): Container[];
  byCgroupId(cgroupId: bigint): Container | undefined;
  throttling(container: Container): Throttling;
  cpuUsage(container: Container, options?: { source?: 'v1' | 'v2' | 'auto' }): CpuUsage;
}

interface Reading {
  counters: CgroupWaitCounters;
  throttledNs: number;
  /** CPU usage from the cgroup files (ns), undefined when unreadable (then BPF run_ns is used). */
  usageNs: number | undefined;
}

export interface ContainerSample {
  container: Container;
  rates: WaitRates;
  delta: IntervalDelta;
  nrWaits: number;
  /** Wall time since the previous reading (ns). */
  elapsedNs: number;
}

function addCounters(into: CgroupWaitCounters, c: CgroupWaitCounters): void {
  into.runNs += c.runNs;
  into.waitNs += c.waitNs;
  into.innerNs += c.innerNs;
  into.externalNs += c.externalNs;
  into.latencyNs += c.latencyNs;
  into.nrWaits += c.nrWaits;
}

/**
 * Turns successive cumulative readings into per-interval rates per container. A
 * container's counters are the sum over every v2 cgroup id the resolver maps to it (its
 * own directory and its sub-cgroups). The first reading of a container is its baseline
 * (no sample).
 */
export class IntervalSampler {
  private previous = new Map<string, Reading>();
  private previousAt: bigint | undefined;

  constructor(private readonly containers: ContainerSource) {}

  sample(counters: Map<bigint, CgroupWaitCounters>, now: bigint = process.hrtime.bigint()): ContainerSample[] {
    const elapsedNs = this.previousAt === undefined ? 0 : Number(now - this.previousAt);
    this.previousAt = now;
    const perContainer = new Map<string, CgroupWaitCounters>();
    for (const [cgroupId, c] of counters) {
      const container = this.containers.byCgroupId(cgroupId);
      if (container === undefined) continue;
      const sum = perContainer.get(container.id) ?? zeroCounters();
      addCounters(sum, c);
      perContainer.set(container.id, sum);
    }
    const next = new Map<string, Reading>();
    const out: ContainerSample[] = [];
    for (const container of this.containers.list()) {
      const reading: Reading = {
        counters: perContainer.get(container.id) ?? zeroCounters(),
        throttledNs: this.safe(() => this.containers.throttling(container).throttledNs) ?? 0,
        usageNs: this.safe(() => this.containers.cpuUsage(container, { source: container.v2Path !== undefined ? 'v2' : 'auto' }).totalUs * 1000),
      };
      next.set(container.id, reading);
      const before = this.previous.get(container.id);
      if (before === undefined) continue;
      const delta: IntervalDelta = {
        waitNs: counterDelta(reading.counters.waitNs, before.counters.waitNs),
        innerNs: counterDelta(reading.counters.innerNs, before.counters.innerNs),
        externalNs: counterDelta(reading.counters.externalNs, before.counters.externalNs),
        latencyNs: counterDelta(reading.counters.latencyNs, before.counters.latencyNs),
        throttledNs: counterDelta(reading.throttledNs, before.throttledNs),
        runNs:
          reading.usageNs !== undefined && before.usageNs !== undefined
            ? counterDelta(reading.usageNs, before.usageNs)
            : counterDelta(reading.counters.runNs, before.counters.runNs),
      };
      out.push({ container, delta, rates: computeRates(delta), nrWaits: counterDelta(reading.counters.nrWaits, before.counters.nrWaits), elapsedNs });
    }
    this.previous = next;
    return out;
  }

  private safe<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch {
      // A container that vanished between list() and the read: no reading this time.
      return undefined;
    }
  }
}
