// The `before` profile of a cpusys/cpuidle/dload event (issue 14 item 6): what the host ran
// in the look-back window up to the trigger, next to the `after` capture. Asked for at the
// trigger (the slice is a message to the supervisor), symbolized in the tracer's pool
// while the `after` capture samples. Never throws: a missing `before` is said in the event.
import { statSync } from 'node:fs';
import { formatFolded, type FlameFrame } from '../../../capture/index.js';
import { profileFromLookback } from '../../../capture/lookback-profile.js';
import type { TracerContext } from '../../tracer-api.js';

/** The most history a request asks for (the sampler keeps supervisor.lookback.seconds of it). */
const MAX_LOOKBACK_MS = 600_000;

export interface BeforeProfile {
  /** ISO times: from = the oldest history the window held, to = the trigger. */
  from: string;
  to: string;
  frequency: number;
  /** v2 cgroup id the samples were kept for; absent = host-wide. */
  cgroup_id?: string;
  samples: number;
  /** Samples whose stack the bounded window did not keep. */
  overflow: number;
  flamedata: FlameFrame[];
  folded: string;
}

export interface BeforeFields {
  before?: BeforeProfile;
  /** Why there is no `before` (sampler disabled or failed, symbolization failed). */
  before_error?: { message: string };
}

/** The v2 cgroup id (its directory's inode) of a container's v2 directory, for a scoped `before`. */
export function cgroupIdOfDir(v2Path: string | undefined): string | undefined {
  if (v2Path === undefined) return undefined;
  try {
    return String(statSync(v2Path, { bigint: true }).ino);
  } catch {
    return undefined;
  }
}

/**
 * Starts fetching the look-back up to `atMs` (only `cgroupId`'s tasks when given, to
 * compare with a container-scoped `after`); await the result after the `after` capture.
 */
export function beforeForEvent(ctx: Pick<TracerContext<unknown>, 'lookback'>, atMs: number, cgroupId?: string): Promise<BeforeFields> {
  // A hand-made context (tests, tools) without the look-back API: the event has no `before` fields.
  if (ctx.lookback === undefined) return Promise.resolve({});
  return ctx
    .lookback({ fromMs: atMs - MAX_LOOKBACK_MS, toMs: atMs, ...(cgroupId === undefined ? {} : { cgroupId }) })
    .then(async (answer): Promise<BeforeFields> => {
      if (!answer.ok) return { before_error: { message: answer.reason } };
      const p = await profileFromLookback(answer.slice);
      const iso = (ms: number): string => new Date(ms).toISOString();
      return {
        before: {
          from: iso(p.coveredFromMs),
          to: iso(p.toMs),
          frequency: p.frequency,
          ...(answer.slice.cgroupId === undefined ? {} : { cgroup_id: answer.slice.cgroupId }),
          samples: p.samples,
          overflow: p.overflow,
          flamedata: p.flamedata,
          folded: formatFolded(p.folded),
        },
      };
    })
    .catch((err: unknown) => ({ before_error: { message: (err as Error).message } }));
}
