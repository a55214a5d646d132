// Whether the agent shares the host's PID namespace. BPF reports host (init-namespace)
// pids; /proc/<pid> in another namespace names other processes (or none), so a
// containerised agent without `--pid=host` reads the wrong maps and symbolizes nothing.
import { readFileSync, readlinkSync } from 'node:fs';

export interface PidNamespaceCheck {
  /** True when the agent is in the kernel's initial PID namespace. */
  shared: boolean;
  /** e.g. "pid:[4026531836]"; undefined when unreadable. */
  self?: string;
  /** /proc/1/ns/pid; undefined when unreadable (a sandbox may deny it even to root). */
  init?: string;
  /** Why `shared` is false (or could not be established). */
  reason?: string;
}

/** PROC_PID_INIT_INO: the inode number of the initial PID namespace, fixed by the kernel. */
export const INIT_PID_NAMESPACE = 'pid:[4026531836]';

const readLink = (path: string): string | undefined => {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
};

/** Levels of nesting from the NSpid line of /proc/self/status (1 = the initial namespace). */
function nspidDepth(procRoot: string): number | undefined {
  try {
    const line = /^NSpid:\s*(.*)$/m.exec(readFileSync(`${procRoot}/self/status`, 'utf8'))?.[1];
    return line === undefined ? undefined : line.trim().split(/\s+/).length;
  } catch {
    return undefined;
  }
}

/**
 * Compares the agent's PID namespace with the kernel's initial one (a fixed inode) and with
 * init's. The inode matters: in a container with its own /proc, /proc/1 is the container's
 * init, in the same namespace as the agent, so comparing with /proc/1 alone says "shared".
 */
export function checkPidNamespace(procRoot = '/proc'): PidNamespaceCheck {
  const self = readLink(`${procRoot}/self/ns/pid`);
  const init = readLink(`${procRoot}/1/ns/pid`);
  const known = { ...(self === undefined ? {} : { self }), ...(init === undefined ? {} : { init }) };
  if (self === undefined) {
    const depth = nspidDepth(procRoot);
    if (depth === 1) return { shared: true, ...known };
    return { shared: false, ...known, reason: 'cannot read /proc/self/ns/pid to compare PID namespaces' };
  }
  if (self === INIT_PID_NAMESPACE && (init === undefined || init === self)) return { shared: true, ...known };
  return {
    shared: false,
    ...known,
    reason: `the agent runs in PID namespace ${self}, not the host's ${INIT_PID_NAMESPACE}: BPF pids will not match /proc (run its container with --pid=host)`,
  };
}
