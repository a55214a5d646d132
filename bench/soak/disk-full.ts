// The soak's disk-full phase: the agent's store lives on a small tmpfs of its own for the
// whole run; once, mid-run, a filler file takes every free block for `holdMs`, then is
// removed. Measured: how long until /readyz reports `storage: degraded (disk full)`, and how
// long after the space returns until it is ready again. The run's other checks (every
// acknowledged event in ES exactly once, no crash that was not injected) cover the rest of
// what docs/faults.md#storage promises under a full disk.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fillFilesystem } from '../../test/support/filesystem.js';

/** Size of the store's filesystem: room for a long soak's events; the filler takes the rest (RAM, briefly). */
const STORE_FS_MB = 160;
const POLL_MS = 250;
const DETECT_TIMEOUT_MS = 30_000;
const RECOVER_TIMEOUT_MS = 60_000;

export interface ReadinessProbe {
  /** GET /readyz: the status code and the storage state it reports. */
  readiness(): Promise<{ status: number; storage: string | undefined }>;
}

export interface DiskFullResult {
  /** Fill → /readyz says degraded (disk full); undefined if it never did. */
  detectedAfterMs: number | undefined;
  /** Filler removed → /readyz ready again; undefined if it never was. */
  recoveredAfterMs: number | undefined;
  heldMs: number;
  /** When the filesystem was filled and when the space came back (ms since the epoch). */
  filledAt: number;
  freedAt: number;
}

export class DiskFullPhase {
  readonly mountPoint: string;
  private mounted = false;

  constructor(dir: string, private readonly log: (msg: string) => void) {
    this.mountPoint = join(dir, 'store-fs');
  }

  /** Mounts the store's tmpfs; returns the storage.path to configure. */
  mount(): string {
    mkdirSync(this.mountPoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${STORE_FS_MB}m,mode=0700`, 'tmpfs', this.mountPoint]);
    this.mounted = true;
    return join(this.mountPoint, 'data');
  }

  async run(agent: ReadinessProbe, holdMs: number): Promise<DiskFullResult> {
    const filler = fillFilesystem(this.mountPoint, 'soak-filler');
    const filledAt = Date.now();
    this.log(`disk full: the store's ${STORE_FS_MB} MiB filesystem is full; holding ${holdMs / 1000} s`);
    let detectedAfterMs: number | undefined;
    while (detectedAfterMs === undefined && Date.now() - filledAt < Math.max(holdMs, DETECT_TIMEOUT_MS)) {
      const r = await agent.readiness().catch(() => undefined);
      if (r?.status === 503 && r.storage === 'degraded') detectedAfterMs = Date.now() - filledAt;
      else await sleep(POLL_MS);
    }
    await sleep(Math.max(0, filledAt + holdMs - Date.now()));
    rmSync(filler, { force: true });
    const freedAt = Date.now();
    this.log(`disk full: space returned after ${((freedAt - filledAt) / 1000).toFixed(1)} s (degraded reported after ${detectedAfterMs ?? '-'} ms)`);
    let recoveredAfterMs: number | undefined;
    while (recoveredAfterMs === undefined && Date.now() - freedAt < RECOVER_TIMEOUT_MS) {
      const r = await agent.readiness().catch(() => undefined);
      if (r?.status === 200) recoveredAfterMs = Date.now() - freedAt;
      else await sleep(POLL_MS);
    }
    this.log(`disk full: ready again ${recoveredAfterMs ?? '-'} ms after the space returned`);
    return { detectedAfterMs, recoveredAfterMs, heldMs: freedAt - filledAt, filledAt, freedAt };
  }

  /** After the agent is gone. Lazy when something still holds it, so the host is never left with it. */
  unmount(): void {
    if (!this.mounted) return;
    this.mounted = false;
    try {
      execFileSync('umount', [this.mountPoint]);
    } catch {
      execFileSync('umount', ['-l', this.mountPoint]);
    }
  }
}
