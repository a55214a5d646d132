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
import { profileForEvent, type EventProfile } from './profile.js';
import { beforeForEvent, type BeforeFields } from '../lookback-before.js';
import { Ticker } from './ticker.js';

export const CPUSYS_TRACER_NAME = 'cpusys';

/** tracer_data of a cpusys event: HUATUO's five fields, then our documented extras. */
export interface CpuSysEventData extends EventProfile, BeforeFields {
  system_percent: number;
  system_percent_threshold: number;
  system_percent_delta: number;
  system_percent_delta_threshold: number;
  /** Only on manual triggers. */
  reason?: string;
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
    const ticker = new Ticker(settings.intervalSeconds * 1000);
    this.observe(detector.feed(await readProcStat(settings.procRoot)));
    while (await ticker.next(ctx.signal)) {
      const observation = detector.feed(await readProcStat(settings.procRoot));
      this.observe(observation);
      if (observation.kind !== 'sample' || !observation.exceeded) continue;
      this.exceeded++;
      if (!(await ctx.cooldown.tryArm('', settings.cooldownSeconds ?? ctx.cooldownSeconds))) {
        this.cooldownBlocked++;
        continue;
      }
      const time = Date.now();
      const before = beforeForEvent(ctx, time);
      const profile = await this.capture(settings, ctx.signal);
      const data: CpuSysEventData = {
        system_percent: observation.percent,
        system_percent_threshold: settings.sysThreshold,
        system_percent_delta: observation.delta,
        system_percent_delta_threshold: settings.deltaSysThreshold,
        ...profile,
        ...(await before),
      };
      await ctx.save({ time, data });
      ctx.logger.info('cpusys captured', { system_percent: observation.percent, delta: observation.delta, samples: profile.profile?.samples ?? 0 });
    }
  }

  /** Manual capture: the figures are measured over the capture window itself. */
  async trigger(request: TriggerRequest, ctx: TracerContext<CpuSysSettings>): Promise<void> {
    const settings = ctx.config;
    const time = Date.now();
    const lookback = beforeForEvent(ctx, time);
    const before = await readProcStat(settings.procRoot);
    const profile = await this.capture(settings, ctx.signal);
    const after = await readProcStat(settings.procRoot);
    const dTotal = after.total - before.total;
    const dSys = after.system - before.system;
    const percent = dTotal > 0 && dSys >= 0 && dSys <= dTotal ? Math.floor((100 * dSys) / dTotal) : 0;
    const data: CpuSysEventData = {
      system_percent: percent,
      system_percent_threshold: settings.sysThreshold,
      system_percent_delta: this.lastPercent === undefined ? 0 : percent - this.lastPercent,
      system_percent_delta_threshold: settings.deltaSysThreshold,
      ...profile,
      ...(await lookback),
      reason: request.reason ?? 'manual',
    };
    await ctx.save({ time, data });
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

// No settingsSchema: as a catalog tracer its settings are parsed (defaults applied) with the
// catalog's schema by the supervisor in the main thread, so this worker never loads zod
// (~5.5 MB of RSS per actor). config.ts is imported for its types only.
registerTracer<CpuSysSettings>(
  CPUSYS_TRACER_NAME,
  // HUATUO restarts a failed cpusys after 20 s.
  () => ({ tracer: new CpuSysTracer(), interval: 20, flags: Flag.Tracing | Flag.Metric }),
);
