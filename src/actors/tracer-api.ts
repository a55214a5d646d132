// The tracer API a tracer author writes against. It mirrors HUATUO's seed interface
// (ITracingEvent.Start + RegisterEventTracing + EventTracingAttr + Collector.Update) so
// HUATUO users recognise it, but rejects what HUATUO silently accepts: a duplicate name
// (HUATUO overwrites), a registration without a flag, a non-positive interval.
// Types only: this module is loaded in every tracer worker, which must not load zod (docs/runtime.md, "Settings and zod").
import type { z } from 'zod';
import type { BpfObject, BpfOpenOptions } from '../native/index.js';
import type { ContainerResolver } from '../containers/index.js';
import type { ContainerRef } from '../event/index.js';
import type { LookbackSlice } from '../capture/lookback-window.js';
import { ActorError } from './errors.js';

/** Seed: tracing.FlagTracing / tracing.FlagMetric. Combine with `|`. */
export const Flag = {
  Tracing: 1,
  Metric: 2,
} as const;
export type FlagBits = number;

export interface MetricSample {
  name: string;
  value: number;
  labels?: Record<string, string>;
  help?: string;
  /** 'gauge' (default) or 'counter' (value is a running total). */
  kind?: 'gauge' | 'counter';
}

export interface SaveInput {
  containerId?: string;
  container?: ContainerRef;
  /**
   * When the anomaly was detected (ms since epoch; defaults to now): the document's
   * tracer_time. For a capture tracer this is the sample that fired, not the end of the
   * capture (that is `capture`).
   */
  time?: number;
  /** The capture window behind the event (ms since epoch), when there was one: capture_started / capture_ended. */
  capture?: { startedMs: number; endedMs: number };
  /**
   * 'event' for cheap kernel events (hungtask, oom, ...), 'autotracing' (the default) for
   * anomaly captures. Inside a manual trigger the stored type is always 'manual'.
   */
  type?: 'autotracing' | 'event';
  data: unknown;
}

export interface CooldownState {
  /** True when the tracer may fire now for this key. */
  ready: boolean;
  /** ms since epoch before which it may not fire (0 when never armed). */
  until: number;
}

/** Cooldown requests go to the supervisor, which owns and persists the ledger. */
export interface CooldownApi {
  check(key?: string): Promise<CooldownState>;
  /** Arms unconditionally; `seconds` defaults to the tracer's configured cooldown. */
  arm(key?: string, seconds?: number): Promise<CooldownState>;
  /** Atomic check-and-arm: true when it was ready and is now armed. Prefer it to check+arm. */
  tryArm(key?: string, seconds?: number): Promise<boolean>;
}

/** The look-back samples of a time range, or why there are none (sampler disabled or not attached). */
export type LookbackAnswer = { ok: true; slice: LookbackSlice } | { ok: false; reason: string };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LoadBpfOptions = BpfOpenOptions;

/**
 * What a tracer may do with the container resolver behind ctx.containers: look containers up
 * (by id, by v2 or v1 cgroup id, by pid), list the ones its filter selects, read their
 * accounting, and rescan (`refresh()` re-reads the cgroup trees; it changes nothing on the
 * host). Not its configuration: that is the tracer's `settings.containers`. A ContainerResolver
 * is one, so helpers typed with it also take a resolver a test built itself.
 */
export type ContainerView = Pick<
  ContainerResolver,
  'refresh' | 'list' | 'isSelected' | 'byId' | 'byCgroupId' | 'cgroupIndex' | 'hierarchyId' | 'byV1Id' | 'duplicates' | 'ofPid'
  | 'cpuUsage' | 'cpuCapacity' | 'throttling' | 'tasks' | 'pressure' | 'cpuStat' | 'refreshIfChanged' | 'close'
>;

export interface TracerContext<Settings = unknown> {
  readonly name: string;
  /** Aborts when the supervisor stops the tracer; start() should then return promptly. */
  readonly signal: AbortSignal;
  /** The tracer's validated `settings` section of the agent config. */
  readonly config: Settings;
  /** The trigger cooldown in seconds configured for this tracer (default for cooldown.arm). */
  readonly cooldownSeconds: number;
  /**
   * Where to read procfs and sysfs (`/proc`, `/sys` on a live host). Read host files through
   * these (`${ctx.procRoot}/stat`), so a test can replay inputs recorded on another host
   * (`autotracer record-inputs`) through the tracer. The tracer's own `settings.procRoot` /
   * `settings.sysRoot` win when its schema has them; else the supervisor's spec decides.
   */
  readonly procRoot: string;
  readonly sysRoot: string;
  /** Opens build/bpf/<name>.bpf.o; the runtime closes it when the actor stops. */
  loadBpf(name: string, options?: LoadBpfOptions): Promise<BpfObject>;
  /** Resolves once the event is durable in storage, with its tracer_id. */
  save(input: SaveInput): Promise<string>;
  readonly cooldown: CooldownApi;
  /**
   * The host-wide low-rate samples the supervisor's look-back sampler kept for [fromMs, toMs):
   * what ran *before* a trigger; `cgroupId` (v2 id, decimal) keeps one container's. Optional so hand-made test contexts need not provide it.
   */
  lookback?(range: { fromMs: number; toMs: number; cgroupId?: string }): Promise<LookbackAnswer>;
  readonly logger: Logger;
  /**
   * The container resolver of this tracer, built on first use from its validated
   * `settings.containers` (its own roots and filter) and shared by its start() and trigger()
   * calls. The first access scans; call `refresh()` on your own tick to see containers come
   * and go. Throws TRACER_NO_CONTAINERS when the settings have no `containers` block.
   */
  readonly containers: ContainerView;
}

export interface TriggerRequest {
  containerId?: string;
  reason?: string;
}

export interface Tracer<Settings = unknown> {
  /** Runs until ctx.signal aborts, or returns to be started again after `interval` seconds. */
  start(ctx: TracerContext<Settings>): Promise<void>;
  /** Optional metrics collector (seed: Collector.Update). */
  update?(): MetricSample[] | Promise<MetricSample[]>;
  /** Optional manual capture: capture now, bypassing detection thresholds. */
  trigger?(request: TriggerRequest, ctx: TracerContext<Settings>): Promise<void>;
}

export interface TracerAttr<Settings = unknown> {
  tracer: Tracer<Settings>;
  /** Seconds before start() is called again after it returns normally (seed: Internal). */
  interval: number;
  flags: FlagBits;
}

export type TracerFactory<Settings = unknown> = () => TracerAttr<Settings> | Promise<TracerAttr<Settings>>;

export interface TracerRegistration {
  name: string;
  factory: TracerFactory<unknown>;
  /**
   * Validates the tracer's `settings` config section (defaults applied) in the worker, when
   * present. Only for tracers outside the catalog: a catalog tracer omits it, because the
   * supervisor applies the catalog's schema in the main thread and the worker then need not
   * load zod.
   */
  settingsSchema?: z.ZodType;
}

const registry = new Map<string, TracerRegistration>();
const namePattern = /^[a-z][a-z0-9_-]{0,62}$/;

export function registerTracer<Settings>(
  name: string,
  factory: TracerFactory<Settings>,
  options: { settingsSchema?: z.ZodType<Settings> } = {},
): void {
  if (!namePattern.test(name)) {
    throw new ActorError('TRACER_BAD_NAME', `tracer name "${name}" must match ${namePattern}`);
  }
  if (registry.has(name)) {
    throw new ActorError('TRACER_DUPLICATE', `a tracer named "${name}" is already registered`);
  }
  if (typeof factory !== 'function') {
    throw new ActorError('TRACER_NOT_REGISTERED', `registerTracer("${name}"): factory must be a function`);
  }
  registry.set(name, {
    name,
    factory: factory as TracerFactory<unknown>,
    ...(options.settingsSchema !== undefined ? { settingsSchema: options.settingsSchema } : {}),
  });
}

/** Checked when the factory runs (the attr is only known then), in the actor. */
export function validateAttr(name: string, attr: TracerAttr<unknown>): void {
  if ((attr.flags & (Flag.Tracing | Flag.Metric)) === 0) {
    throw new ActorError('TRACER_NO_FLAG', `tracer "${name}": flags must include Flag.Tracing and/or Flag.Metric`);
  }
  if (!Number.isFinite(attr.interval) || attr.interval <= 0) {
    throw new ActorError('TRACER_BAD_INTERVAL', `tracer "${name}": interval must be > 0 seconds, got ${attr.interval}`);
  }
  if ((attr.flags & Flag.Metric) !== 0 && typeof attr.tracer.update !== 'function') {
    throw new ActorError('TRACER_NO_FLAG', `tracer "${name}": Flag.Metric needs an update() method`);
  }
}

export function getRegistration(name: string): TracerRegistration | undefined {
  return registry.get(name);
}

export function registeredTracerNames(): string[] {
  return [...registry.keys()];
}

/** Test hook: forget registrations (each actor has its own registry anyway). */
export function clearRegistryForTests(): void {
  registry.clear();
}
