// cpusys: host kernel-time spikes (HUATUO HEAD core/autotracing/cpusys.go). Samples
// /proc/stat every interval; when sys% > sysThreshold and it rose by more than
// deltaSysThreshold points since the previous sample, and the global cooldown allows,
// captures a system-wide CPU profile and saves it with the figures.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Flag, registerTracer, type MetricSample, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
import type { CpuSysSettings } from './config.js';
import { CpuSysDetector, parseProcStat, type CpuStatSnapshot, type CpuSysObservation } from './detector.js';
import { CpuSysError } from './errors.js';
import { profileForEvent, type EventProfile } from '../shared/profile.js';
import { SubIntervalPeak, sysPercentBetween, type PercentWindow, type TimedSnapshot } from './peak.js';
import { beforeForEvent, type BeforeFields } from '../shared/lookback-before.js';
import { Ticker } from '../shared/ticker.js';

export const CPUSYS_TRACER_NAME = 'cpusys';

/** tracer_data of a cpusys event: HUATUO's five fields, then our documented extras. */
export interface CpuSysEventData extends EventProfile, BeforeFields {
  system_percent: number;
  system_percent_threshold: number;
  system_percent_delta: number;
  system_percent_delta_threshold: number;
  /** Only on manual triggers. */
  reason?: string;
  /**
   * Extras on automatic events: the highest sys% over one sub-interval of the interval that
   * fired (system_percent is the mean over the whole interval, as in HUATUO)...
   */
  system_percent_peak?: number;
  /** ...and which window each figure covers (wall-clock ms since the epoch). */
  percent_windows?: {
    system_percent: { kind: 'interval_mean'; start_ms: number; end_ms: number };
    system_percent_peak: { kind: 'peak_sub_interval'; start_ms: number; end_ms: number };
  };
}

/** The peak fields of an event: the peak and the windows of both figures, named. */
export function percentWindows(mean: PercentWindow, peak: PercentWindow): Pick<CpuSysEventData, 'system_percent_peak' | 'percent_windows'> {
  return {
    system_percent_peak: peak.percent,
    percent_windows: {
      system_percent: { kind: 'interval_mean', start_ms: mean.start_ms, end_ms: mean.end_ms },
      system_percent_peak: { kind: 'peak_sub_interval', start_ms: peak.start_ms, end_ms: peak.end_ms },
    },
  };
}

/** HUATUO's field names, in its order (pinned by test/cputracers/cpusys-detector.test.ts). */
export const CPUSYS_HUATUO_FIELDS = ['system_percent', 'system_percent_threshold', 'system_percent_delta', 'system_percent_delta_threshold', 'flamedata'] as const;

export async function readProcStat(procRoot: string): Promise<CpuStatSnapshot> {
  const file = join(procRoot, 'stat');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CpuSysError('CPUSYS_STAT_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseProcStat(text);
}

export class CpuSysTracer implements Tracer<CpuSysSettings> {
  private lastPercent: number | undefined;
  private lastDelta = 0;
  private samples = 0;
  private resets = 0;
  private exceeded = 0;
  private cooldownBlocked = 0;
  private captures = 0;
  private captureErrors = 0;
  /** Test hook: every observation, in order. */
  onObservation?: (observation: CpuSysObservation) => void;

  async start(ctx: TracerContext<CpuSysSettings>): Promise<void> {
    const settings = ctx.config;
    // State is local to one start(): after a restart the first percent is a new baseline.
    const detector = new CpuSysDetector(settings);
    // /proc/stat is read every sub-interval; every `perInterval`-th reading feeds the detector
    // (HUATUO's interval), the ones in between only find the interval's peak.
    const subSeconds = Math.min(settings.subIntervalSeconds, settings.intervalSeconds);
    const perInterval = Math.max(1, Math.round(settings.intervalSeconds / subSeconds));
    const ticker = new Ticker(subSeconds * 1000);
    const peak = new SubIntervalPeak();
    const read = async (): Promise<TimedSnapshot> => ({ snapshot: await readProcStat(ctx.procRoot), atMs: Date.now() });
    let reading = await read();
    let observation = detector.feed(reading.snapshot);
    this.observe(observation);
    if (observation.kind !== 'skipped') peak.restart(reading);
    let nextDetection = perInterval;
    let capturing: Promise<void> | undefined;
    while (await ticker.next(ctx.signal)) {
      reading = await read();
      peak.add(reading);
      // Ticks dropped during a capture still count: the next reading after it is a detection.
      if (ticker.index < nextDetection) continue;
      nextDetection = ticker.index + perInterval;
      observation = detector.feed(reading.snapshot);
      this.observe(observation);
      if (observation.kind === 'skipped') continue; // the interval goes on: same counters, no time passed
      const intervalStart = peak.startMs ?? reading.atMs;
      // With one reading per interval (perInterval 1) the single pair is the interval itself.
      const highest = peak.peak(perInterval > 1 ? 2.5 * subSeconds * 1000 : undefined);
      peak.restart(reading);
      if (observation.kind !== 'sample' || !observation.exceeded) continue;
      this.exceeded++;
      if (capturing !== undefined || !(await ctx.cooldown.tryArm(''))) {
        this.cooldownBlocked++;
        continue;
      }
      const mean: PercentWindow = { percent: observation.percent, start_ms: intervalStart, end_ms: reading.atMs };
      const figures = {
        system_percent: observation.percent,
        system_percent_threshold: settings.sysThreshold,
        system_percent_delta: observation.delta,
        system_percent_delta_threshold: settings.deltaSysThreshold,
      };
      // The capture runs beside the loop, so /proc/stat keeps its cadence (a blocked loop
      // would leave a hole in the next interval's sub-interval readings).
      capturing = this.captureAndSave(ctx, reading.atMs, figures, percentWindows(mean, highest ?? mean))
        .catch((err: unknown) => ctx.logger.error('cpusys capture failed', { error: String(err) }))
        .finally(() => (capturing = undefined));
    }
    await capturing;
  }

  private async captureAndSave(
    ctx: TracerContext<CpuSysSettings>,
    time: number,
    figures: Pick<CpuSysEventData, 'system_percent' | 'system_percent_threshold' | 'system_percent_delta' | 'system_percent_delta_threshold'>,
    peak: Pick<CpuSysEventData, 'system_percent_peak' | 'percent_windows'>,
  ): Promise<void> {
    // The look-back slice ends at the detection time: what ran before the trigger.
    const before = beforeForEvent(ctx, time);
    const captureStarted = Date.now();
    const profile = await this.capture(ctx.config, ctx.signal);
    const data: CpuSysEventData = { ...figures, ...profile, ...peak, ...(await before) };
    await ctx.save({ time, capture: { startedMs: captureStarted, endedMs: Date.now() }, data });
    ctx.logger.info('cpusys captured', { system_percent: figures.system_percent, peak: peak.system_percent_peak, delta: figures.system_percent_delta, samples: profile.profile?.samples ?? 0 });
  }

  /** Manual capture: the figures are measured over the capture window itself. */
  async trigger(request: TriggerRequest, ctx: TracerContext<CpuSysSettings>): Promise<void> {
    const settings = ctx.config;
    const time = Date.now();
    const lookback = beforeForEvent(ctx, time);
    const before = await readProcStat(settings.procRoot);
    const captureStarted = Date.now();
    const profile = await this.capture(settings, ctx.signal);
    const captureEnded = Date.now();
    const after = await readProcStat(settings.procRoot);
    const percent = sysPercentBetween(before, after) ?? 0;
    const data: CpuSysEventData = {
      system_percent: percent,
      system_percent_threshold: settings.sysThreshold,
      system_percent_delta: this.lastPercent === undefined ? 0 : percent - this.lastPercent,
      system_percent_delta_threshold: settings.deltaSysThreshold,
      ...profile,
      ...(await lookback),
      reason: request.reason ?? 'manual',
    };

    await ctx.save({ time, capture: { startedMs: captureStarted, endedMs: captureEnded }, data });
  }

  update(): MetricSample[] {
    return [
      { name: 'cpusys_system_percent', value: this.lastPercent ?? 0, help: 'host sys% over the last cpusys interval (floor)' },
      { name: 'cpusys_system_percent_delta', value: this.lastDelta, help: 'change of sys% since the previous interval (points)' },
      { name: 'cpusys_samples_total', value: this.samples, kind: 'counter', help: '/proc/stat samples taken' },
      { name: 'cpusys_resets_total', value: this.resets, kind: 'counter', help: 'history resets (counter rollback or sys > total)' },
      { name: 'cpusys_exceeded_total', value: this.exceeded, kind: 'counter', help: 'samples over both thresholds' },
      { name: 'cpusys_cooldown_blocked_total', value: this.cooldownBlocked, kind: 'counter', help: 'samples over both thresholds while in cooldown' },
      { name: 'cpusys_captures_total', value: this.captures, kind: 'counter', help: 'profiles captured' },
      { name: 'cpusys_capture_errors_total', value: this.captureErrors, kind: 'counter', help: 'captures that failed (event saved without flamedata)' },
    ];
  }

  private observe(observation: CpuSysObservation): void {
    this.samples++;
    if (observation.kind === 'reset') {
      this.resets++;
      this.lastPercent = undefined;
      this.lastDelta = 0;
    } else if (observation.kind === 'baseline') {
      this.lastPercent = observation.percent;
      this.lastDelta = 0;
    } else if (observation.kind === 'sample') {
      this.lastPercent = observation.percent;
      this.lastDelta = observation.delta;
    }
    this.onObservation?.(observation);
  }

  private async capture(settings: CpuSysSettings, signal: AbortSignal): Promise<EventProfile> {
    const profile = await profileForEvent({ durationMs: Math.round(settings.captureSeconds * 1000), frequency: settings.frequency, scope: { kind: 'host' }, signal });
    if (profile.capture_error !== undefined) this.captureErrors++;
    else this.captures++;
    return profile;
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<CpuSysSettings>(
  CPUSYS_TRACER_NAME,
  // HUATUO restarts a failed cpusys after 20 s.
  () => ({ tracer: new CpuSysTracer(), interval: 20, flags: Flag.Tracing | Flag.Metric }),
);
