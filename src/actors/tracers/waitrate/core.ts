// The BPF core of waitrate, usable without the actor runtime (tests, bench): the always-on
// counters object and the interval sampler that turns cumulative counters into per-container
// rates. No timers here: the caller decides when to sample.
import type { Container, CpuStatReading } from '../../../containers/index.js';
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
  type SlotReadCache,
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

  /** Slot sums of the last read, reused for slots whose bytes did not change. */
  private readonly slotCache: SlotReadCache = { sums: new Map() };

  /**
   * Cumulative counters per v2 cgroup id, summed over CPUs. Treat the objects as read-only:
   * an unchanged slot's object is handed out again by the next read.
   */
  read(): Map<bigint, CgroupWaitCounters> {
    return readCgroupCounters(this.object, { cache: this.slotCache });
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
  /** CPU usage and throttling of a container, one cpu.stat read where possible (accounting.cpuStat). */
  cpuStat(container: Container): CpuStatReading;
}

interface Reading {
  /** The record it was taken for: a recreated cgroup is a new record, never "unchanged". */
  container: Container;
  counters: CgroupWaitCounters;
  throttledNs: number;
  /** CPU usage from the cgroup files (ns), undefined when unreadable (then BPF run_ns is used). */
  usageNs: number | undefined;
  /** Idle: a cpu.stat read showed no CPU time, no throttling and no wait since the previous one. */
  idle: boolean;
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

/** The BPF wait counters moved (a task of the cgroup was switched in after a wait). */
function waitsMoved(a: CgroupWaitCounters, b: CgroupWaitCounters): boolean {
  return a.nrWaits !== b.nrWaits || a.waitNs !== b.waitNs || a.innerNs !== b.innerNs || a.externalNs !== b.externalNs || a.latencyNs !== b.latencyNs;
}

/**
 * Turns successive cumulative readings into per-interval rates per container. A
 * container's counters are the sum over every v2 cgroup id the resolver maps to it (its
 * own directory and its sub-cgroups). The first reading of a container is its baseline
 * (no sample).
 *
 * Idle containers cost no file read (issue 16.4: at 1000 containers the cpu.stat reads
 * were most of the interval). A container is idle once a cpu.stat read finds that, since
 * the previous one, it used no CPU, was not throttled and none of its tasks was switched
 * in after a wait. Then none of its tasks is on a CPU, and none can get one without a
 * switch-in, which BPF counts (nr_waits) before it runs. So while its wait counters stay
 * put, its cpu.stat is still what was read (no run, no throttling: throttled time is added
 * when the group is unthrottled, and its runnable tasks are switched in right after) and
 * the sample is the all-zero one the read would give; the first moved counter brings the
 * read back, against a baseline that is still exact. A container that runs, even one CPU
 * hog that is never switched out, is read every interval (its usage moves).
 * Not covered: waits BPF does not record (slot map full: waitrate_bpf_overflow_total), a
 * running task moved into an idle container without a switch.
 */
export class IntervalSampler {
  private previous = new Map<string, Reading>();
  private previousAt: bigint | undefined;
  /** cpu.stat reads skipped in the last sample (idle containers); for the bench and tests. */
  skippedReads = 0;

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
    this.skippedReads = 0;
    for (const container of this.containers.list()) {
      const current = perContainer.get(container.id) ?? zeroCounters();
      const before = this.previous.get(container.id);
      const reading = this.read(container, current, before);
      next.set(container.id, reading);
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

  private read(container: Container, counters: CgroupWaitCounters, before: Reading | undefined): Reading {
    if (before !== undefined && before.idle && before.container === container && !waitsMoved(counters, before.counters)) {
      this.skippedReads++;
      return { ...before, counters };
    }
    // A container that vanished between list() and the read: parts absent this time.
    const stat = this.containers.cpuStat(container);
    const reading: Reading = {
      container,
      counters,
      throttledNs: stat.throttling?.throttledNs ?? 0,
      usageNs: stat.usage === undefined ? undefined : stat.usage.totalUs * 1000,
      idle: false,
    };
    reading.idle =
      before !== undefined &&
      before.container === container &&
      reading.usageNs !== undefined &&
      reading.usageNs === before.usageNs &&
      reading.throttledNs === before.throttledNs &&
      !waitsMoved(counters, before.counters);
    return reading;
  }
}
