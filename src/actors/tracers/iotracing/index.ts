// iotracing: per-device disk anomaly (util, bps, await over two consecutive intervals of
// /proc/diskstats) -> a tracepoint-only BPF capture naming the processes, files and blocked
// tasks behind it. Per-device cooldown (HUATUO has none). docs/iotracing.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { IOTRACING_OBJECT, iotracingRodata } from '../../../native/bpf/iotracing.js';
import { tracepointUnavailableReason } from '../../../native/bpf/kevents.js';
import { TracerUnavailableError } from '../../errors.js';
import { assertKernelFeatures } from '../shared/kernel-features.js';
import { Flag, registerTracer, type ContainerView, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
import { captureIo, iotracingAutoload, type CaptureResult } from './capture.js';
import { IO_START_PROGRAMS, selectIoStartProgram } from './start-program.js';
import type { IotracingSettings } from './config.js';
import { IoDetector, type Anomaly, type IoStatus } from './detector.js';
import { readDiskstats } from './diskstats.js';
import { IotracingError } from './errors.js';

export interface IotracingEventData extends Omit<CaptureResult, 'duration_seconds'> {
  reason_snapshot: {
    type: Anomaly['type'] | 'manual';
    device: string;
    major: number;
    minor: number;
    iostatus: IoStatus;
    summary: string;
  };
  capture_seconds: number;
}

const BPF_UNAVAILABLE = new Set(['BPF_LOAD_FAILED', 'BPF_ATTACH_FAILED', 'BPF_ATTACH_UNSUPPORTED']);

// Plus the start program's (start-program.ts): block_io_start, or block_rq_insert before 6.5.
const TRACEPOINTS: Array<[string, string]> = [
  ['block', 'block_rq_issue'],
  ['block', 'block_rq_complete'],
  ['sched', 'sched_switch'],
  ['sched', 'sched_wakeup'],
];

/**
 * Fails fast with `unavailable` (instead of a background capture error at the first anomaly):
 * the tracepoints must exist and the verifier must accept the capture object (loaded, not attached).
 */
async function assertCaptureLoads(ctx: TracerContext<IotracingSettings>): Promise<void> {
  assertKernelFeatures('iotracing');
  const startProgram = selectIoStartProgram();
  for (const [category, name] of [IO_START_PROGRAMS[startProgram].tracepoint, ...TRACEPOINTS]) {
    const reason = tracepointUnavailableReason(category, name);
    if (reason !== undefined) throw new TracerUnavailableError(`iotracing: ${reason}`);
  }
  try {
    (await ctx.loadBpf(IOTRACING_OBJECT, { rodata: iotracingRodata(), autoload: iotracingAutoload(startProgram) })).close();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && BPF_UNAVAILABLE.has(code)) {
      throw new TracerUnavailableError(`iotracing: the kernel cannot load its BPF programs: ${String((err as Error).message)}`, { cause: err });
    }
    throw err;
  }
}

export class IotracingTracer implements Tracer<IotracingSettings> {
  private capturing = false;
  private resolver: ContainerView | undefined;
  private latest = new Map<string, IoStatus>();
  /** Called after each reading (tests observe the loop through it). */
  onSample: ((statuses: Map<string, IoStatus>, anomalies: Anomaly[], fired: string[]) => void) | undefined;

  async start(ctx: TracerContext<IotracingSettings>): Promise<void> {
    const s = ctx.config;
    await assertCaptureLoads(ctx);
    this.resolver = ctx.containers;
    const detector = new IoDetector(s.thresholds, s.devices);
    detector.observe(readDiskstats(ctx.procRoot), Date.now()); // baseline
    while (!ctx.signal.aborted) {
      await sleep(s.intervalSeconds * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) break;
      const detectedAt = Date.now();
      const { statuses, anomalies } = detector.observe(readDiskstats(ctx.procRoot), detectedAt);
      this.latest = statuses;
      const fired: string[] = [];
      for (const anomaly of anomalies) {
        // One capture at a time (it is host-wide); the others wait for the next interval.
        if (this.capturing) break;
        if (!(await ctx.cooldown.tryArm(anomaly.device))) continue;
        fired.push(anomaly.device);
        detector.reset(anomaly.device);
        // Capture in the background so that sampling keeps its cadence.
        void this.captureAndSave(ctx, anomaly, detectedAt).catch((err: unknown) => {
          ctx.logger.error('iotracing capture failed', { device: anomaly.device, error: String(err) });
        });
      }
      this.onSample?.(statuses, anomalies, fired);
    }
    while (this.capturing) await sleep(20);
  }

  /** Manual capture of one device (request.containerId unused; reason "device=<name>" picks it, default: the busiest). */
  async trigger(request: TriggerRequest, ctx: TracerContext<IotracingSettings>): Promise<void> {
    const wanted = /device=(\S+)/.exec(request.reason ?? '')?.[1];
    const disks = readDiskstats(ctx.procRoot);
    const busiest = [...this.latest.entries()].sort((a, b) => b[1].io_util - a[1].io_util)[0]?.[0];
    const name = wanted ?? busiest;
    const disk = disks.find((d) => d.name === name);
    if (disk === undefined) throw new IotracingError('IOTRACING_UNKNOWN_DEVICE', `iotracing trigger: unknown device ${String(name)}`);
    const iostatus = this.latest.get(disk.name) ?? { read_bps: 0, write_bps: 0, read_iops: 0, write_iops: 0, read_await: 0, write_await: 0, io_util: 0, queue_size: 0 };
    await this.captureAndSave(ctx, { type: 'ioutil', device: disk.name, major: disk.major, minor: disk.minor, iostatus, summary: `manual capture of ${disk.name}(${disk.major}:${disk.minor})${request.reason !== undefined ? `: ${request.reason}` : ''}` }, Date.now(), 'manual');
  }

  /** `detectedAt`: when the anomaly was seen (tracer_time); the capture window is measured here. */
  private async captureAndSave(ctx: TracerContext<IotracingSettings>, anomaly: Anomaly, detectedAt: number, type?: 'manual'): Promise<void> {
    if (this.capturing) throw new IotracingError('IOTRACING_CAPTURE_BUSY', 'an iotracing capture is already running');
    this.capturing = true;
    try {
      const s = ctx.config;
      const resolver = this.resolver;
      let result: CaptureResult;
      const captureStarted = Date.now();
      try {
        result = await captureIo((name, options) => ctx.loadBpf(name, options), {
          seconds: s.durationSeconds,
          ...(s.captureAllDevices ? {} : { device: { major: anomaly.major, minor: anomaly.minor } }),
          procRoot: s.procRoot,
          signal: ctx.signal,
          maxProcesses: s.maxProcesses,
          maxFilesPerProcess: s.maxFilesPerProcess,
          maxBlockedStacks: s.maxBlockedStacks,
          blockedMinUs: s.blockedMinUs,
          containerOf: (pid) => {
            const c = resolver?.ofPid(pid);
            return c === undefined ? undefined : { id: c.id, ...(c.hostname !== undefined ? { hostname: c.hostname } : {}) };
          },
        });
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && BPF_UNAVAILABLE.has(code)) {
          throw new TracerUnavailableError(`iotracing: the kernel cannot load its BPF programs: ${String((err as Error).message)}`, { cause: err });
        }
        throw err;
      }
      const captureEnded = Date.now();
      const { duration_seconds, ...rest } = result;
      const data: IotracingEventData = {
        reason_snapshot: { type: type ?? anomaly.type, device: anomaly.device, major: anomaly.major, minor: anomaly.minor, iostatus: anomaly.iostatus, summary: anomaly.summary },
        capture_seconds: duration_seconds,
        ...rest,
      };
      await ctx.save({ time: detectedAt, capture: { startedMs: captureStarted, endedMs: captureEnded }, data });
    } finally {
      this.capturing = false;
    }
  }
}

// No settingsSchema: as a catalog tracer its settings arrive parsed (defaults applied), validated
// once in the main thread (supervisor/settings.ts), so this worker never loads zod (its cost:
// docs/runtime.md, "Settings and zod"). config.ts is imported for its types only.
registerTracer<IotracingSettings>(
  'iotracing',
  () => ({ tracer: new IotracingTracer(), interval: 5, flags: Flag.Tracing }),
);
