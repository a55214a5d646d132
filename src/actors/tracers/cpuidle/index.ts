// cpuidle: per-container CPU spikes (HUATUO HEAD core/autotracing/cpuidle.go). Every
// interval, each container's user/sys/total CPU time is turned into percents of its
// capacity; a container whose percent and rise both pass a threshold pair scores; the best
// one out of its cooldown gets a container-scoped CPU profile. At most one capture per tick.
import { isContainerGone, toContainerRef, type Container, type CpuUsage } from '../../../containers/index.js';
import { Flag, registerTracer, type ContainerView, type MetricSample, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
import { profileForEvent, type EventProfile } from '../shared/profile.js';
import { beforeForEvent, cgroupIdOfDir, type BeforeFields } from '../shared/lookback-before.js';
import { Ticker } from '../shared/ticker.js';
import type { CpuIdleSettings } from './config.js';
import { CpuIdleDetector, rankCandidates, windowPercents, type Candidate, type UsageCounters, type Measurement, type Percents } from './detector.js';
import { CpuIdleError } from './errors.js';

export const CPUIDLE_TRACER_NAME = 'cpuidle';

/** HUATUO's tracer_data field names, in its order (its cpuidle_test.go pins the same set). */
export const CPUIDLE_HUATUO_FIELDS = [
  'user_percent',
  'user_percent_threshold',
  'user_percent_delta',
  'user_percent_delta_threshold',
  'system_percent',
  'system_percent_threshold',
  'system_percent_delta',
  'system_percent_delta_threshold',
  'total_percent',
  'total_percent_threshold',
  'total_percent_delta',
  'total_percent_delta_threshold',
  'flamedata',
] as const;

/** What the percents were computed from (wall-clock ms, µs of CPU time in the window). */
export interface CpuIdleSampleWindow {
  start_ms: number;
  end_ms: number;
  capacity_cores: number;
  user_us: number;
  system_us: number;
  total_us: number;
  source: 'v1' | 'v2';
}

export interface CpuIdleEventData extends EventProfile, BeforeFields {
  user_percent: number;
  user_percent_threshold: number;
  user_percent_delta: number;
  user_percent_delta_threshold: number;
  system_percent: number;
  system_percent_threshold: number;
  system_percent_delta: number;
  system_percent_delta_threshold: number;
  total_percent: number;
  total_percent_threshold: number;
  total_percent_delta: number;
  total_percent_delta_threshold: number;
  /** Extras: the window the percents cover, the score (absent on manual triggers), the reason (manual only). */
  sample: CpuIdleSampleWindow;
  score?: number;
  reason?: string;
}

/** performance.now() is monotonic (immune to clock steps); timeOrigin maps it to wall time. */
const nowUs = (): number => performance.now() * 1000;
const wallMs = (us: number): number => Math.round(performance.timeOrigin + us / 1000);

/** CPU time of a window in whole µs; user/system are floored so they never add up to more than the total. */
function sampleUs(usage: UsageCounters): Pick<CpuIdleSampleWindow, 'user_us' | 'system_us' | 'total_us'> {
  return { user_us: Math.floor(usage.userUs), system_us: Math.floor(usage.systemUs), total_us: Math.round(usage.totalUs) };
}

/** One tick's view, for metrics and tests. */
export interface CpuIdleTick {
  measurements: Measurement[];
  candidates: Candidate[];
  /** The container captured this tick, if any. */
  chosen?: string;
  /** Candidates skipped because their cooldown is armed. */
  blocked: string[];
}

/** Identifies the cgroup behind an id: a recreated container (new inode) resets its measurements. */
function cgroupKey(c: Container): string {
  return `${c.name}#${c.v2Id ?? ''}#${c.v1Ids.cpuacct ?? c.v1Ids.cpu ?? ''}`;
}

export class CpuIdleTracer implements Tracer<CpuIdleSettings> {
  // On the tracer object, as in HUATUO: measurements survive a restart of start().
  private readonly detector = new CpuIdleDetector();
  private resolver: ContainerView | undefined;
  private readonly sources = new Map<string, 'v1' | 'v2'>();
  private ticks = 0;
  private candidatesSeen = 0;
  private cooldownBlocked = 0;
  private captures = 0;
  private captureErrors = 0;
  private readErrors = 0;
  private lastMeasurements: Measurement[] = [];
  /** Test hook: called after every tick's decision. */
  onTick?: (tick: CpuIdleTick) => void;

  async start(ctx: TracerContext<CpuIdleSettings>): Promise<void> {
    const settings = ctx.config;
    const resolver = this.resolverFor(ctx);
    const ticker = new Ticker(settings.intervalSeconds * 1000);
    do {
      await this.tick(ctx, resolver);
    } while (await ticker.next(ctx.signal));
  }

  /** Manual capture of `request.containerId`; the percents are measured over the capture window. */
  async trigger(request: TriggerRequest, ctx: TracerContext<CpuIdleSettings>): Promise<void> {
    const settings = ctx.config;
    if (request.containerId === undefined) throw new CpuIdleError('CPUIDLE_NO_CONTAINER', 'a cpuidle trigger needs a containerId');
    const resolver = this.resolverFor(ctx);
    resolver.refresh();
    const container = resolver.byId(request.containerId);
    if (container === undefined) throw new CpuIdleError('CPUIDLE_UNKNOWN_CONTAINER', `no container with id ${request.containerId}`);
    const time = Date.now();
    const lookback = beforeForEvent(ctx, time, cgroupIdOfDir(container.v2Path));
    const startUs = nowUs();
    const before = resolver.cpuUsage(container);
    const capacity = resolver.cpuCapacity(container).cores;
    const captureStarted = Date.now();
    const profile = await this.capture(settings, container, ctx.signal);
    const captureEnded = Date.now();
    const after = resolver.cpuUsage(container);
    const endUs = nowUs();
    const elapsed = Math.max(1, endUs - startUs);
    const measured = windowPercents({ userUs: after.userUs - before.userUs, systemUs: after.systemUs - before.systemUs, totalUs: after.totalUs - before.totalUs }, elapsed, capacity);
    const percent = measured.percent;
    const last = this.detector.measurement(container.id)?.percent;
    const delta: Percents = last === undefined ? { user: 0, system: 0, total: 0 } : { user: percent.user - last.user, system: percent.system - last.system, total: percent.total - last.total };
    const sample: CpuIdleSampleWindow = {
      start_ms: wallMs(startUs),
      end_ms: wallMs(endUs),
      capacity_cores: capacity,
      ...sampleUs(measured.usage),
      source: after.source,
    };
    const data = { ...this.figures(settings, percent, delta), ...profile, ...(await lookback), sample, reason: request.reason ?? 'manual' };
    await ctx.save({ containerId: container.id, container: toContainerRef(container), time, capture: { startedMs: captureStarted, endedMs: captureEnded }, data });
  }

  update(): MetricSample[] {
    const out: MetricSample[] = [
      { name: 'cpuidle_ticks_total', value: this.ticks, kind: 'counter', help: 'cpuidle sampling ticks' },
      { name: 'cpuidle_candidates_total', value: this.candidatesSeen, kind: 'counter', help: 'container samples over a threshold pair' },
      { name: 'cpuidle_cooldown_blocked_total', value: this.cooldownBlocked, kind: 'counter', help: 'qualifying containers skipped because of their cooldown' },
      { name: 'cpuidle_captures_total', value: this.captures, kind: 'counter', help: 'container profiles captured' },
      { name: 'cpuidle_capture_errors_total', value: this.captureErrors, kind: 'counter', help: 'captures that failed (event saved without flamedata)' },
      { name: 'cpuidle_read_errors_total', value: this.readErrors, kind: 'counter', help: 'container accounting reads that failed (container skipped that tick)' },
    ];
    for (const m of this.lastMeasurements) {
      if (m.percent === undefined) continue;
      const labels = { container_id: m.id };
      out.push(
        { name: 'cpuidle_user_percent', value: m.percent.user, labels, help: 'container user CPU, percent of its capacity' },
        { name: 'cpuidle_system_percent', value: m.percent.system, labels, help: 'container system CPU, percent of its capacity' },
        { name: 'cpuidle_total_percent', value: m.percent.total, labels, help: 'container total CPU, percent of its capacity' },
      );
    }
    return out;
  }

  private resolverFor(ctx: TracerContext<CpuIdleSettings>): ContainerView {
    this.resolver ??= ctx.containers;
    return this.resolver;
  }

  private async tick(ctx: TracerContext<CpuIdleSettings>, resolver: ContainerView): Promise<void> {
    const settings = ctx.config;
    this.ticks++;
    resolver.refresh();
    const alive = new Set<string>();
    for (const c of resolver.list()) {
      let usage: CpuUsage;
      let cores: number;
      try {
        usage = resolver.cpuUsage(c);
        cores = resolver.cpuCapacity(c).cores;
      } catch (err) {
        if (isContainerGone(err)) continue;
        // HUATUO aborts Start on any other read error, which with a persistently bad
        // container (quota 0) restarts it forever; we skip that container instead.
        this.readErrors++;
        ctx.logger.warn('cpuidle: cannot read container accounting', { container_id: c.id, error: (err as Error).message });
        continue;
      }
      alive.add(c.id);
      this.sources.set(c.id, usage.source);
      this.detector.sample(c.id, cgroupKey(c), usage, cores, nowUs());
    }
    this.detector.retain(alive);
    for (const id of this.sources.keys()) if (!alive.has(id)) this.sources.delete(id);

    const measurements = [...alive].map((id) => this.detector.measurement(id)).filter((m): m is Measurement => m !== undefined);
    this.lastMeasurements = measurements;
    const candidates = rankCandidates(measurements, settings);
    this.candidatesSeen += candidates.length;
    const blocked: string[] = [];
    let chosen: Candidate | undefined;
    for (const candidate of candidates) {
      if (await ctx.cooldown.tryArm(candidate.id)) {
        chosen = candidate;
        break;
      }
      blocked.push(candidate.id);
    }
    this.cooldownBlocked += blocked.length;
    this.onTick?.({ measurements, candidates, blocked, ...(chosen !== undefined ? { chosen: chosen.id } : {}) });
    if (chosen === undefined) return;

    const container = resolver.byId(chosen.id);
    const window = this.detector.measurement(chosen.id)?.window;
    if (container === undefined || window === undefined) return; // cannot happen: sampled above
    // Detection time: the end of the measurement window that qualified.
    const time = wallMs(window.endUs);
    const captureStarted = Date.now();
    const lookback = beforeForEvent(ctx, time, cgroupIdOfDir(container.v2Path));
    const profile = await this.capture(settings, container, ctx.signal);
    const captureEnded = Date.now();
    const sample: CpuIdleSampleWindow = {
      start_ms: wallMs(window.startUs),
      end_ms: wallMs(window.endUs),
      capacity_cores: window.capacityCores,
      ...sampleUs(window.usage),
      source: this.sources.get(chosen.id) ?? 'v1',
    };
    const data: CpuIdleEventData = { ...this.figures(settings, chosen.percent, chosen.delta), ...profile, ...(await lookback), sample, score: chosen.score };
    await ctx.save({ containerId: container.id, container: toContainerRef(container), time, capture: { startedMs: captureStarted, endedMs: captureEnded }, data });
    ctx.logger.info('cpuidle captured', { container_id: container.id, score: chosen.score, samples: profile.profile?.samples ?? 0 });
  }

  private figures(t: CpuIdleSettings, percent: Percents, delta: Percents) {
    return {
      user_percent: percent.user,
      user_percent_threshold: t.userThreshold,
      user_percent_delta: delta.user,
      user_percent_delta_threshold: t.deltaUserThreshold,
      system_percent: percent.system,
      system_percent_threshold: t.sysThreshold,
      system_percent_delta: delta.system,
      system_percent_delta_threshold: t.deltaSysThreshold,
      total_percent: percent.total,
      total_percent_threshold: t.usageThreshold,
      total_percent_delta: delta.total,
      total_percent_delta_threshold: t.deltaUsageThreshold,
    };
  }

  private async capture(settings: CpuIdleSettings, container: Container, signal: AbortSignal): Promise<EventProfile> {
    const profile =
      container.v2Path === undefined
        ? // The capture scopes by the v2 directory (perf cgroup mode or the v2 id filter).
          { flamedata: [], folded: '', capture_error: { code: 'CPUIDLE_NO_V2_CGROUP', message: `container ${container.id} has no cgroup v2 directory to scope the profile` } }
        : await profileForEvent({
            durationMs: Math.round(settings.captureSeconds * 1000),
            frequency: settings.frequency,
            scope: { kind: 'cgroup', path: container.v2Path },
            cgroupMethod: settings.cgroupMethod,
            signal,
          });
    if (profile.capture_error !== undefined) this.captureErrors++;
    else this.captures++;
    return profile;
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<CpuIdleSettings>(
  CPUIDLE_TRACER_NAME,
  // HUATUO restarts a failed cpuidle after 20 s.
  () => ({ tracer: new CpuIdleTracer(), interval: 20, flags: Flag.Tracing | Flag.Metric }),
);
