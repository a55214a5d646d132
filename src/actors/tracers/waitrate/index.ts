// waitrate: per-container run-queue wait split into inner / external / latency / throttle,
// sampled every interval from always-on per-CPU BPF counters; a spike over the container's
// own 30-minute history starts a 15 s capture naming the competitors. docs/waitrate.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { toContainerRef, type Container } from '../../../containers/index.js';
import { TracerUnavailableError } from '../../errors.js';
import { assertKernelFeatures } from '../shared/kernel-features.js';
import { Flag, registerTracer, type ContainerView, type MetricSample, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
import { captureCompetitors } from './capture.js';
import { cgroupV2Support, readCgroupSources } from './cgroup-support.js';
import type { Threshold, WaitrateSettings } from './config.js';
import { IntervalSampler, WaitrateCounters, type BpfOpener, type ContainerSample } from './core.js';
import { SpikeDetector, type Verdict } from './detector.js';
import { WaitrateError } from './errors.js';
import { buildEventData, captureTimeLookup } from './event.js';
import { activityPercent } from './rates.js';

/** Metric names (HUATUO: huatuo_bamai_cpu_stat_container_{wait,inner_wait,exter_wait,throttle_wait}_rate). */
export const WAITRATE_METRICS = {
  wait: 'waitrate_container_wait_rate',
  inner: 'waitrate_container_inner_wait_rate',
  external: 'waitrate_container_external_wait_rate',
  latency: 'waitrate_container_latency_wait_rate',
  throttle: 'waitrate_container_throttle_wait_rate',
  overflow: 'waitrate_bpf_overflow_total',
  approximations: 'waitrate_bpf_approximations_total',
} as const;

/** The BPF program's approximations (docs/waitrate.md, "Accuracy"), one `kind` label each. */
const APPROXIMATION_KINDS = ['truncated', 'unseen', 'clamped', 'migrations'] as const;

export function thresholdFor(settings: WaitrateSettings, container: Container): Threshold {
  const byQos = container.qos !== undefined ? settings.thresholds[container.qos] : undefined;
  return byQos ?? settings.thresholds.default;
}

export class WaitrateTracer implements Tracer<WaitrateSettings> {
  private latest: ContainerSample[] = [];
  private overflows = 0n;
  private approximations: Record<(typeof APPROXIMATION_KINDS)[number], bigint> | undefined;
  private readonly detectors = new Map<string, SpikeDetector>();
  private capturing = false;
  private resolver: ContainerView | undefined;
  /** Called after each interval (tests observe the loop through it). */
  onSample: ((samples: ContainerSample[], fired: string[]) => void) | undefined;

  async start(ctx: TracerContext<WaitrateSettings>): Promise<void> {
    const settings = ctx.config;
    const open: BpfOpener = (name, options) => ctx.loadBpf(name, options);
    const resolver = (this.resolver = ctx.containers);
    assertKernelFeatures('waitrate');
    // A v1-only host: the programs would run on every switch and see only the v2 root.
    const support = cgroupV2Support(readCgroupSources(), resolver.list());
    if (!support.available) throw new TracerUnavailableError(`waitrate: ${support.reason}`);
    let counters: WaitrateCounters;
    try {
      counters = await WaitrateCounters.open(open, { trackRoot: settings.trackRoot, maxCgroups: settings.maxCgroups });
    } catch (err) {
      // The kernel cannot run it (no tp_btf/BTF, no task storage, no CONFIG_FAIR_GROUP_SCHED
      // for cfs_rq->rq): not a crash to restart, the supervisor marks the tracer unavailable.
      const code = (err as { code?: unknown }).code;
      if (code === 'BPF_LOAD_FAILED' || code === 'BPF_ATTACH_FAILED' || code === 'BPF_ATTACH_UNSUPPORTED') {
        throw new TracerUnavailableError(`waitrate: the kernel cannot load its BPF programs: ${String((err as Error).message)}`, { cause: err });
      }
      throw err;
    }
    const sampler = new IntervalSampler(resolver);
    const capacity = Math.max(1, Math.round((settings.windowMinutes * 60) / settings.intervalSeconds));
    try {
      sampler.sample(counters.read()); // baseline
      while (!ctx.signal.aborted) {
        await sleep(settings.intervalSeconds * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
        if (ctx.signal.aborted) break;
        // Reads only what changed since the last interval (inotify), so 1000 containers cost ~nothing.
        const { removed } = resolver.refreshIfChanged();
        for (const c of removed) this.detectors.delete(c.id);
        const samples = sampler.sample(counters.read());
        const detectedAt = Date.now();
        const stats = counters.stats();
        this.overflows = stats.cgroupsFull + stats.storageFail;
        this.approximations = { truncated: stats.truncated, unseen: stats.unseen, clamped: stats.clamped, migrations: stats.migrations };
        this.latest = samples;
        const fired: string[] = [];
        for (const sample of samples) {
          if (activityPercent(sample.delta, sample.elapsedNs) < settings.minActivityPercent) continue;
          const threshold = thresholdFor(settings, sample.container);
          const detector = this.detector(sample.container.id, capacity, settings.warmupSamples);
          const verdict = detector.observe(sample.rates.wait_rate, threshold);
          // One capture at a time: an onset seen while another runs fires again next sample.
          if (verdict.fire && this.capturing) detector.rearm();
          if (verdict.fire && !this.capturing && (await ctx.cooldown.tryArm(sample.container.id))) {
            fired.push(sample.container.id);
            // Capture in the background so sampling (and metrics) keep their cadence.
            void this.captureAndSave(ctx, sample, verdict, threshold, verdict.rule ?? 'spike', detectedAt).catch((err: unknown) =>
              ctx.logger.error('waitrate capture failed', { container: sample.container.id, error: String(err) }),
            );
          }
        }
        this.onSample?.(samples, fired);
      }
    } finally {
      counters.close();
      resolver.close();
    }
  }

  /** Manual capture of one container (containerId required), bypassing the detector. */
  async trigger(request: TriggerRequest, ctx: TracerContext<WaitrateSettings>): Promise<void> {
    const resolver = this.resolver ?? ctx.containers;
    const container = request.containerId !== undefined ? resolver.byId(request.containerId) : undefined;
    if (container === undefined) throw new WaitrateError('WAITRATE_UNKNOWN_CONTAINER', `waitrate trigger needs a known containerId, got ${String(request.containerId)}`);
    const sample = this.latest.find((s) => s.container.id === container.id);
    const rates = sample?.rates ?? { wait_rate: 0, inner_wait_rate: 0, external_wait_rate: 0, latency_wait_rate: 0, throttle_wait_rate: 0 };
    await this.captureAndSave(ctx, { container, rates, delta: { waitNs: 0, innerNs: 0, externalNs: 0, latencyNs: 0, throttledNs: 0, runNs: 0 }, nrWaits: 0, elapsedNs: 0 },
      { threshold: Number.NaN, mean: Number.NaN, std: Number.NaN }, thresholdFor(ctx.config, container), request.reason ?? 'manual', Date.now());
  }

  update(): MetricSample[] {
    const out: MetricSample[] = [];
    for (const { container, rates } of this.latest) {
      const labels = { container_id: container.id, container_name: container.containerName ?? container.name, container_qos: container.qos ?? '' };
      out.push(
        { name: WAITRATE_METRICS.wait, value: rates.wait_rate, labels, help: 'run-queue wait + throttled time, percent of wait+throttle+run time' },
        { name: WAITRATE_METRICS.inner, value: rates.inner_wait_rate, labels, help: 'wait while the same container held the CPU, percent' },
        { name: WAITRATE_METRICS.external, value: rates.external_wait_rate, labels, help: 'wait while another container or a host task held the CPU, percent' },
        { name: WAITRATE_METRICS.latency, value: rates.latency_wait_rate, labels, help: 'wait while the CPU was idle (scheduling delay), percent' },
        { name: WAITRATE_METRICS.throttle, value: rates.throttle_wait_rate, labels, help: 'CFS bandwidth throttled time, percent' },
      );
    }
    out.push({ name: WAITRATE_METRICS.overflow, value: Number(this.overflows), kind: 'counter', help: 'cgroup-map overflows and task-storage failures (waits not recorded)' });
    for (const kind of APPROXIMATION_KINDS) {
      out.push({
        name: WAITRATE_METRICS.approximations,
        value: Number(this.approximations?.[kind] ?? 0n),
        labels: { kind },
        kind: 'counter',
        help: 'waits split approximately: truncated (> 32 slices), unseen (ring overwritten), clamped (remote ring read), migrations (split across CPUs)',
      });
    }
    return out;
  }

  private detector(id: string, capacity: number, warmup: number): SpikeDetector {
    let d = this.detectors.get(id);
    if (d === undefined) this.detectors.set(id, (d = new SpikeDetector(capacity, warmup)));
    return d;
  }

  private async captureAndSave(
    ctx: TracerContext<WaitrateSettings>,
    sample: ContainerSample,
    verdict: Pick<Verdict, 'threshold' | 'mean' | 'std'>,
    threshold: Threshold,
    reason: string,
    /** The sample that fired (tracer_time); the capture window follows it. */
    detectedAt: number,
  ): Promise<void> {
    const victim = sample.container.v2Id;
    if (victim === undefined) throw new WaitrateError('WAITRATE_UNKNOWN_CONTAINER', `container ${sample.container.id} has no v2 cgroup: BPF cannot identify its tasks`);
    if (this.capturing) throw new WaitrateError('WAITRATE_CAPTURE_BUSY', 'a waitrate capture is already running');
    this.capturing = true;
    // Competitors are named from the containers known when the capture starts (see captureTimeLookup).
    const namesAtStart = this.resolver?.cgroupIndex();
    try {
      const captureStarted = Date.now();
      const capture = await captureCompetitors((name, options) => ctx.loadBpf(name, options), {
        victimCgroup: victim,
        seconds: ctx.config.captureSeconds,
        signal: ctx.signal,
        trackRoot: ctx.config.trackRoot,
      });
      const captureEnded = Date.now();
      const resolver = this.resolver;
      const data = buildEventData({
        container: sample.container,
        rates: sample.rates,
        verdict,
        threshold,
        reason,
        capture,
        byCgroupId: captureTimeLookup(namesAtStart, (id) => resolver?.byCgroupId(id)),
        top: ctx.config.topCompetitors,
      });
      const { container } = sample;
      await ctx.save({
        time: detectedAt,
        capture: { startedMs: captureStarted, endedMs: captureEnded },
        container: toContainerRef(container),
        data,
      });
    } finally {
      this.capturing = false;
    }
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<WaitrateSettings>(
  'waitrate',
  (): { tracer: WaitrateTracer; interval: number; flags: number } => ({ tracer: new WaitrateTracer(), interval: 5, flags: Flag.Tracing | Flag.Metric }),
);
