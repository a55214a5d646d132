// What the three cheap kernel-event tracers (hungtask, oom, reclaim) share: the
// "tracepoint missing -> unavailable" rule, running their BPF object as a stream, and
// naming the container of a task from the cgroup ids BPF read (refreshing the resolver
// once on a miss: the container may be younger than the last scan).
import type { Container } from '../../../containers/index.js';
import { tracepointUnavailableReason, type KevEvent, type TracepointProbe } from '../../../native/bpf/kevents.js';
import { runKevStream } from '../../../native/bpf/kevents-stream.js';
import type { BpfObject } from '../../../native/index.js';
import { TracerUnavailableError } from '../../errors.js';
import type { ContainerView, TracerContext } from '../../tracer-api.js';
import { assertKernelFeatures } from './kernel-features.js';

const BPF_UNAVAILABLE = new Set(['BPF_LOAD_FAILED', 'BPF_ATTACH_FAILED', 'BPF_ATTACH_UNSUPPORTED']);

export interface KeventSpec {
  tracer: string;
  /** tracefs category/name pairs the object attaches to. */
  tracepoints: Array<[string, string]>;
  object: string;
  rodata?: Record<string, number | bigint>;
  /** Overrides for tests (a fake tracefs/BTF to exercise `unavailable`). */
  probe?: TracepointProbe;
  /** The kernel features were already probed from BTF (the oom variant choice does it). */
  featuresChecked?: boolean;
}

/** Throws TracerUnavailableError naming the first missing tracepoint. */
export function assertTracepoints(spec: KeventSpec): void {
  for (const [category, name] of spec.tracepoints) {
    const reason = tracepointUnavailableReason(category, name, spec.probe);
    if (reason !== undefined) throw new TracerUnavailableError(`${spec.tracer}: ${reason}`);
  }
}

/** Runs the event object until ctx.signal aborts; BPF load/attach refusal -> unavailable. */
export async function runKevent(ctx: TracerContext<unknown>, spec: KeventSpec, onEvent: (e: KevEvent) => Promise<void>, onAttached?: (o: BpfObject) => void): Promise<void> {
  if (spec.featuresChecked !== true) assertKernelFeatures(spec.tracer, spec.probe?.btfPath);
  assertTracepoints(spec);
  try {
    await runKevStream((name, options) => ctx.loadBpf(name, options), {
      object: spec.object,
      ...(spec.rodata !== undefined ? { rodata: spec.rodata } : {}),
      signal: ctx.signal,
      onEvent,
      onError: (err) => ctx.logger.error(`${spec.tracer}: event handling failed`, { error: String(err) }),
      ...(onAttached !== undefined ? { onAttached } : {}),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && BPF_UNAVAILABLE.has(code)) {
      throw new TracerUnavailableError(`${spec.tracer}: the kernel cannot load its BPF program: ${String((err as Error).message)}`, { cause: err });
    }
    throw err;
  }
}

/** The container of an event's subject: v2 id, then v1 memory id, then /proc/<pid>/cgroup. */
export function containerOf(resolver: ContainerView, e: Pick<KevEvent, 'cgroup_v2' | 'cgroup_memory' | 'pid'>): Container | undefined {
  const find = (): Container | undefined =>
    resolver.byCgroupId(e.cgroup_v2) ?? (e.cgroup_memory !== 0n ? resolver.byV1Id('memory', e.cgroup_memory) : undefined) ?? resolver.ofPid(e.pid);
  const found = find();
  if (found !== undefined) return found;
  resolver.refresh();
  return find();
}

/** The BPF time (CLOCK_MONOTONIC ns) of an event as ms since the epoch. */
export function eventTimeMs(timeNs: bigint): number {
  const nowMono = process.hrtime.bigint();
  return Date.now() - Number((nowMono - timeNs) / 1_000_000n);
}
