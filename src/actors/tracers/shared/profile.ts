// The profile attached to a cpusys or cpuidle event (shared by both tracers): runs the
// shared capture and turns its result into the event's fields. A capture that fails does
// not lose the anomaly: the event is still saved with an empty flamedata and the error
// (HUATUO instead aborted Start and dropped the event; its cooldown was not armed then,
// ours is already armed by tryArm, so dropping the event would hide it for the whole cooldown).
import { captureProfile, formatFolded, type CaptureScopeRequest, type CgroupMethod, type FlameFrame } from '../../../capture/index.js';
import { serializeError } from '../../../common/coded-error.js';

/** Capture facts kept with the event (snake_case like the rest of tracer_data). */
export interface ProfileSummary {
  started_at: string;
  duration_ms: number;
  frequency: number;
  samples: number;
  lost: { kernel_stacks: number; user_stacks: number; counts_full: number; stack_collisions: number };
  /** max_entries the BPF maps were sized to, from the expected samples. */
  maps: { expected_samples: number; stacks: number; counts: number };
  /** false when the agent does not share the host PID namespace (user stacks then stay unsymbolized); `reason` says why. */
  host_pid_namespace: boolean;
  pid_namespace_reason?: string;
  scope: { kind: 'host' } | { kind: 'cgroup'; path: string; id: string; method: string; fallback_reason?: string };
  aborted: boolean;
  /** Samples per process, most first (at most PROFILE_TOP_PROCESSES): who the graph is about. */
  processes: Array<{ tgid: number; comm: string; cgroup_id: string; samples: number }>;
}

export const PROFILE_TOP_PROCESSES = 50;

export interface EventProfile {
  flamedata: FlameFrame[];
  /** Folded stacks (`comm;frame;…;leaf count` lines, root first) for other formats. */
  folded: string;
  profile?: ProfileSummary;
  /** Why the profile is missing (the event is saved anyway). */
  capture_error?: { code?: string; message: string };
}

export interface ProfileRequest {
  durationMs: number;
  frequency: number;
  scope: CaptureScopeRequest;
  cgroupMethod?: CgroupMethod;
  signal?: AbortSignal;
}

export async function profileForEvent(request: ProfileRequest): Promise<EventProfile> {
  try {
    const capture = await captureProfile({
      durationMs: request.durationMs,
      frequency: request.frequency,
      scope: request.scope,
      ...(request.cgroupMethod !== undefined ? { cgroupMethod: request.cgroupMethod } : {}),
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
      topFunctions: 0,
    });
    const scope = capture.scope;
    return {
      flamedata: capture.flamedata,
      folded: formatFolded(capture.folded),
      profile: {
        started_at: capture.startedAt,
        duration_ms: Math.round(capture.durationMs),
        frequency: capture.frequency,
        samples: capture.samples,
        lost: {
          kernel_stacks: capture.lost.kernelStacks,
          user_stacks: capture.lost.userStacks,
          counts_full: capture.lost.countsFull,
          stack_collisions: capture.lost.stackCollisions,
        },
        maps: { expected_samples: capture.maps.expectedSamples, stacks: capture.maps.stacks, counts: capture.maps.counts },
        host_pid_namespace: capture.pidNamespace.shared,
        ...(capture.pidNamespace.reason === undefined ? {} : { pid_namespace_reason: capture.pidNamespace.reason }),
        scope:
          scope.kind === 'host'
            ? { kind: 'host' }
            : { kind: 'cgroup', path: scope.path, id: scope.id, method: scope.method, ...(scope.fallbackReason !== undefined ? { fallback_reason: scope.fallbackReason } : {}) },
        aborted: capture.aborted,
        processes: capture.processes.slice(0, PROFILE_TOP_PROCESSES).map((p) => ({ tgid: p.tgid, comm: p.comm, cgroup_id: p.cgroupId, samples: p.samples })),
      },
    };
  } catch (err) {
    const { code, message } = serializeError(err);
    return { flamedata: [], folded: '', capture_error: { ...(code !== undefined ? { code } : {}), message } };
  }
}
