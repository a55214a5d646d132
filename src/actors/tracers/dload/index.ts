// dload: per-container D-state load. Every interval it counts each container's tasks by
// state from /proc (cgroup v1 and v2 alike), feeds two kernel-style 1-minute load averages
// (runnable + D, and D only) whose decay matches the real interval, and when the D average
// passes the threshold captures the D tasks' kernel stacks (container and host). docs/dload.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { isContainerGone, toContainerRef, type Container } from '../../../containers/index.js';
import { Flag, registerTracer, type ContainerView, type MetricSample, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
import { buildEventData, type DloadEventData } from './capture.js';
import { beforeForEvent, cgroupIdOfDir, type BeforeFields } from '../shared/lookback-before.js';
import type { DloadSettings } from './config.js';
import { scanTasks, type ContainerScan } from './counts.js';
import { DloadError } from './errors.js';
import { FreezerProbe } from './freezer.js';
import { LoadAverage } from './loadavg.js';
import { containerTids } from './tids.js';

export type { DloadEventData } from './capture.js';

export const DLOAD_METRICS = {
  loadAvg: 'dload_container_load_avg',
  dloadAvg: 'dload_container_dload_avg',
  uninterruptible: 'dload_container_nr_uninterruptible',
  running: 'dload_container_nr_running',
} as const;

interface ContainerState {
  container: Container;
  load: LoadAverage;
  dload: LoadAverage;
  /** tid → ms since epoch when it was first seen in D (continuously since). */
  dSince: Map<number, number>;
  last?: ContainerScan;
}

export interface DloadSample {
  container: Container;
  scan: ContainerScan;
  loadAvg: number;
  dloadAvg: number;
}

export class DloadTracer implements Tracer<DloadSettings> {
  private readonly states = new Map<string, ContainerState>();
  private resolver: ContainerView | undefined;
  /** Called after each interval (tests observe the loop through it). */
  onSample: ((samples: DloadSample[], fired: string[]) => void) | undefined;

  async start(ctx: TracerContext<DloadSettings>): Promise<void> {
    const settings = ctx.config;
    const resolver = (this.resolver = ctx.containers);
    while (!ctx.signal.aborted) {
      const fired: string[] = [];
      const samples = this.sampleAll(resolver, settings);
      for (const s of samples) {
        // Fire only with D tasks to show: a decaying average over an empty container would
        // arm the cooldown for nothing (HUATUO arms it and saves nothing).
        if (s.dloadAvg > settings.threshold && s.scan.dTasks.length > 0 && (await ctx.cooldown.tryArm(s.container.id))) {
          fired.push(s.container.id);
          await this.captureAndSave(ctx, s, 'threshold').catch((err: unknown) =>
            ctx.logger.error('dload capture failed', { container: s.container.id, error: String(err) }),
          );
        }
      }
      this.onSample?.(samples, fired);
      await sleep(settings.intervalSeconds * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }

  /** One tick: rescan the containers, count each one's tasks, update its averages. */
  sampleAll(resolver: ContainerView, settings: DloadSettings, now = Date.now()): DloadSample[] {
    const { removed } = resolver.refresh();
    for (const c of removed) this.states.delete(c.id);
    const samples: DloadSample[] = [];
    const freezer = FreezerProbe.forHost(settings.procRoot); // freezer states cached for this tick only
    for (const container of resolver.list()) {
      let tids: number[];
      try {
        tids = containerTids(container);
      } catch (err) {
        if (isContainerGone(err)) continue; // stopped since the scan
        throw err;
      }
      const state = this.state(container, settings.intervalSeconds);
      const scan = scanTasks(settings.procRoot, tids, this.iowaitRegex(settings), freezer);
      state.load.update(scan.counts.nr_running + scan.counts.nr_uninterruptible);
      state.dload.update(scan.counts.nr_uninterruptible);
      const inD = new Set(scan.dTasks.map((t) => t.tid));
      for (const tid of state.dSince.keys()) if (!inD.has(tid)) state.dSince.delete(tid);
      for (const tid of inD) if (!state.dSince.has(tid)) state.dSince.set(tid, now);
      state.last = scan;
      samples.push({ container, scan, loadAvg: state.load.value, dloadAvg: state.dload.value });
    }
    return samples;
  }

  /** Manual capture of one container (containerId required), bypassing the threshold and cooldown. */
  async trigger(request: TriggerRequest, ctx: TracerContext<DloadSettings>): Promise<void> {
    const resolver = this.resolver ?? ctx.containers;
    const container = request.containerId !== undefined ? resolver.byId(request.containerId) : undefined;
    if (container === undefined) throw new DloadError('DLOAD_UNKNOWN_CONTAINER', `dload trigger needs a known containerId, got ${String(request.containerId)}`);
    const state = this.state(container, ctx.config.intervalSeconds);
    const scan = scanTasks(ctx.config.procRoot, containerTids(container), this.iowaitRegex(ctx.config), FreezerProbe.forHost(ctx.config.procRoot));
    await this.captureAndSave(ctx, { container, scan, loadAvg: state.load.value, dloadAvg: state.dload.value }, request.reason ?? 'manual');
  }

  update(): MetricSample[] {
    const out: MetricSample[] = [];
    for (const { container, load, dload, last } of this.states.values()) {
      const labels = { container_id: container.id, container_name: container.name };
      out.push(
        { name: DLOAD_METRICS.loadAvg, value: load.value, labels, help: '1-minute average of runnable + D tasks of the container' },
        { name: DLOAD_METRICS.dloadAvg, value: dload.value, labels, help: '1-minute average of D (uninterruptible) tasks of the container' },
        { name: DLOAD_METRICS.uninterruptible, value: last?.counts.nr_uninterruptible ?? 0, labels, help: 'D tasks of the container at the last sample' },
        { name: DLOAD_METRICS.running, value: last?.counts.nr_running ?? 0, labels, help: 'runnable tasks of the container at the last sample' },
      );
    }
    return out;
  }

  private iowait: { source: string; regex: RegExp } | undefined;
  private iowaitRegex(settings: DloadSettings): RegExp {
    if (this.iowait?.source !== settings.iowaitFrames) this.iowait = { source: settings.iowaitFrames, regex: new RegExp(settings.iowaitFrames) };
    return this.iowait.regex;
  }

  private state(container: Container, intervalSeconds: number): ContainerState {
    let s = this.states.get(container.id);
    if (s === undefined || s.container !== container) {
      s = { container, load: new LoadAverage(intervalSeconds), dload: new LoadAverage(intervalSeconds), dSince: new Map() };
      this.states.set(container.id, s);
    }
    return s;
  }

  private async captureAndSave(ctx: TracerContext<DloadSettings>, s: DloadSample, reason: string): Promise<DloadEventData & BeforeFields> {
    const settings = ctx.config;
    const lookback = beforeForEvent(ctx, Date.now(), cgroupIdOfDir(s.container.v2Path));
    const dSince = this.states.get(s.container.id)?.dSince;
    // Detection is the sample that crossed the threshold, just before; the capture is the
    // stack and /proc reading buildEventData does.
    const time = Date.now();
    const data = buildEventData({
      procRoot: settings.procRoot,
      sysRoot: ctx.sysRoot,
      counts: s.scan.counts,
      dTasks: s.scan.dTasks,
      threshold: settings.threshold,
      loadAvg: s.loadAvg,
      dloadAvg: s.dloadAvg,
      intervalSeconds: settings.intervalSeconds,
      reason,
      knownIssues: settings.knownIssues,
      captureHost: settings.captureHost,
      maxStackTasks: settings.maxStackTasks,
      iowaitFrames: this.iowaitRegex(settings),
      seenSince: (tid) => dSince?.get(tid),
    });
    const c = s.container;
    const withBefore = { ...data, ...(await lookback) };
    await ctx.save({
      time,
      capture: { startedMs: time, endedMs: Date.now() },
      container: toContainerRef(c),
      data: withBefore,
    });
    return withBefore;
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<DloadSettings>(
  'dload',
  (): { tracer: DloadTracer; interval: number; flags: number } => ({ tracer: new DloadTracer(), interval: 10, flags: Flag.Tracing | Flag.Metric }),
);
