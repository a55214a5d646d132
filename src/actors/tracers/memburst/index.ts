// memburst: host-wide anonymous-memory burst. Every interval it samples Active(anon) +
// Inactive(anon) and every process's RssAnon; when anon has grown by burst% over the
// window and is above anon% of MemTotal (and the supervisor's cooldown allows) it saves the
// top processes by RSS and by anon growth over the window, with their containers. docs/memburst.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { Flag, registerTracer, type ContainerView, type MetricSample, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
import type { MemburstSettings } from './config.js';
import { SampleWindow, evaluateBurst, type BurstVerdict } from './detector.js';
import { buildEventData, type ContainerOfPid, type MemburstEventData } from './event.js';
import { readMemSample, type MemSample } from './meminfo.js';
import { ProcessHistory, detectPageSize, readProcesses, topByRss, withName, type ProcessMemory } from './processes.js';

export type { MemburstEventData } from './event.js';

export const MEMBURST_METRICS = {
  anon: 'memburst_anon_bytes',
  growth: 'memburst_window_growth_percent',
} as const;

export interface MemburstSample {
  mem: MemSample;
  oldest: number | undefined;
  verdict: BurstVerdict;
}

export class MemburstTracer implements Tracer<MemburstSettings> {
  private last: MemburstSample | undefined;
  private history: ProcessHistory | undefined;
  private resolver: ContainerView | undefined;
  private current: ProcessMemory[] = [];
  private pageSize: number | undefined;
  /** Called after each sample with whether the rule fired and whether the cooldown let it save. */
  onSample: ((sample: MemburstSample, saved: boolean) => void) | undefined;

  async start(ctx: TracerContext<MemburstSettings>): Promise<void> {
    const s = ctx.config;
    const window = new SampleWindow(s.windowSamples);
    const history = (this.history = new ProcessHistory(s.windowSamples));
    const pageSize = (this.pageSize = detectPageSize(s.procRoot));
    while (!ctx.signal.aborted) {
      const mem = readMemSample(ctx.procRoot);
      const oldest = window.push(mem.anonBytes);
      // Per-process samples every tick: the growth list needs each process's anon at the
      // start of the window. Read after meminfo so a burst seen there is seen here too.
      this.current = readProcesses(s.procRoot, pageSize);
      const verdict = evaluateBurst(mem.anonBytes, oldest, mem.memTotalBytes, s);
      const sample: MemburstSample = { mem, oldest, verdict };
      this.last = sample;
      let saved = false;
      // The cooldown is asked first so nothing is captured while it runs (HUATUO builds the
      // top list on every tick of a burst, then throws it away).
      if (verdict.fire && oldest !== undefined && (await ctx.cooldown.tryArm())) {
        await this.captureAndSave(ctx, mem, oldest, 'burst').catch((err: unknown) => ctx.logger.error('memburst capture failed', { error: String(err) }));
        saved = true;
      }
      history.push(this.current);
      this.onSample?.(sample, saved);
      await sleep(s.intervalSeconds * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }

  /** Manual capture now, bypassing the rule and the cooldown. */
  async trigger(request: TriggerRequest, ctx: TracerContext<MemburstSettings>): Promise<void> {
    const mem = readMemSample(ctx.procRoot);
    if (this.history === undefined) {
      this.history = new ProcessHistory(ctx.config.windowSamples);
    }
    this.pageSize ??= detectPageSize(ctx.config.procRoot);
    this.current = readProcesses(ctx.config.procRoot, this.pageSize);
    await this.captureAndSave(ctx, mem, this.last?.oldest ?? mem.anonBytes, request.reason ?? 'manual');
  }

  update(): MetricSample[] {
    if (this.last === undefined) return [];
    return [
      { name: MEMBURST_METRICS.anon, value: this.last.mem.anonBytes, help: 'Active(anon)+Inactive(anon), bytes' },
      { name: MEMBURST_METRICS.growth, value: Number.isFinite(this.last.verdict.growthPercent) ? this.last.verdict.growthPercent : 0, help: 'anon growth over the sliding window, percent' },
    ];
  }

  private containerOf(ctx: TracerContext<MemburstSettings>): (pid: number) => ContainerOfPid {
    if (this.resolver === undefined) this.resolver = ctx.containers;
    else this.resolver.refresh();
    const resolver = this.resolver;
    return (pid) => {
      const c = resolver.ofPid(pid);
      return c === undefined ? { container_id: null } : { container_id: c.id, ...(c.hostname !== undefined ? { container_hostname: c.hostname } : {}) };
    };
  }

  private async captureAndSave(ctx: TracerContext<MemburstSettings>, mem: MemSample, oldest: number, reason: string): Promise<MemburstEventData> {
    const s = ctx.config;
    const time = Date.now(); // detection: the tick that saw the burst (no capture window follows)
    const data = buildEventData({
      top: topByRss(this.current, s.topN).map((p) => withName(s.procRoot, p)),
      growth: (this.history ?? new ProcessHistory(1))
        .growth(this.current)
        .slice(0, s.topN)
        .map((g) => ({ ...g, process: withName(s.procRoot, g.process) })),
      containerOf: this.containerOf(ctx),
      anonBytes: mem.anonBytes,
      oldestAnonBytes: oldest,
      memTotalBytes: mem.memTotalBytes,
      burstPercent: s.burstPercent,
      anonPercent: s.anonPercent,
      windowSeconds: Math.round((s.windowSamples - 1) * s.intervalSeconds * 1000) / 1000,
      reason,
    });
    await ctx.save({ time, data });
    return data;
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<MemburstSettings>(
  'memburst',
  (): { tracer: MemburstTracer; interval: number; flags: number } => ({ tracer: new MemburstTracer(), interval: 10, flags: Flag.Tracing | Flag.Metric }),
);
