// Measurements from outside the agent, through /proc and bpftool: the agent's process tree
// and its RSS, the agent's open file descriptors by kind, and the BPF programs and links
// on the host with the processes holding them.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { bpftoolLinks, bpftoolProgs } from '../../test/support/host.js';

/** `pid` and all its descendants (children of every thread). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean)) queue.push(Number(c));
      } catch {
        /* exited */
      }
    }
  }
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** RssAnon of one process (its heaps, not mapped files such as LMDB), MiB. */
export function processAnonMb(pid: number): number {
  try {
    const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

/** VmRSS of one process, MiB. */
export function processRssMb(pid: number): number {
  return rssKb(pid) / 1024;
}

/** Sum of VmRSS over the agent's process tree, MiB. */
export function treeRssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + rssKb(p), 0) / 1024;
}

export interface FdCounts {
  total: number;
  sockets: number;
  /** bpf-prog, bpf-map, bpf_link and perf_event anon inodes: what a tracer crash could leak. */
  bpf: number;
  perf: number;
  /** Everything that is neither a socket nor BPF nor perf (files, pipes, eventfds, ...). */
  other: number;
  /** Count per kind of target (the link with inode numbers stripped), for the report. */
  kinds: Record<string, number>;
}

function fdKind(target: string): string {
  if (target.startsWith('socket:')) return 'socket';
  if (target.startsWith('pipe:')) return 'pipe';
  if (target.startsWith('anon_inode:')) return target;
  return target.replace(/\d+/g, 'N');
}

export function fdCounts(pid: number): FdCounts | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const c: FdCounts = { total: 0, sockets: 0, bpf: 0, perf: 0, other: 0, kinds: {} };
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    c.total++;
    const kind = fdKind(target);
    c.kinds[kind] = (c.kinds[kind] ?? 0) + 1;
    if (target.startsWith('socket:')) c.sockets++;
    else if (/anon_inode:(bpf|\[?bpf)/.test(target)) c.bpf++;
    else if (target.includes('perf_event')) c.perf++;
    else c.other++;
  }
  return c;
}

export interface BpfObjectInfo {
  kind: 'prog' | 'link';
  id: number;
  name: string;
  /** PIDs holding it (bpftool's `pids`), empty when bpftool cannot tell or nobody does. */
  pids: number[];
}

export interface BpfSnapshot {
  progs: BpfObjectInfo[];
  links: BpfObjectInfo[];
}

function holders(entry: Record<string, unknown>): number[] {
  const pids = entry.pids as { pid: number }[] | undefined;
  return Array.isArray(pids) ? pids.map((p) => p.pid) : [];
}

/**
 * Who holds each BPF program and link, from /proc/<pid>/fdinfo of every process (bpftool
 * on this host is built without pid support): `prog:<id>` / `link:<id>` → pids. A link
 * also holds the program it attaches.
 */
function fdinfoHolders(): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const add = (key: string, pid: number): void => {
    let set = out.get(key);
    if (set === undefined) out.set(key, (set = new Set()));
    set.add(pid);
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target !== 'anon_inode:bpf-prog' && target !== 'anon_inode:bpf_link') continue;
      let info: string;
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      } catch {
        continue;
      }
      const prog = /^prog_id:\s+(\d+)/m.exec(info)?.[1];
      const link = /^link_id:\s+(\d+)/m.exec(info)?.[1];
      if (prog !== undefined) add(`prog:${prog}`, pid);
      if (link !== undefined) add(`link:${link}`, pid);
    }
  }
  return out;
}

export function bpfSnapshot(): BpfSnapshot {
  const held = fdinfoHolders();
  const pidsOf = (kind: 'prog' | 'link', id: number, fromBpftool: number[]): number[] =>
    [...new Set([...fromBpftool, ...(held.get(`${kind}:${id}`) ?? [])])];
  return {
    progs: bpftoolProgs().map((p) => ({ kind: 'prog', id: p.id, name: p.name ?? p.type, pids: pidsOf('prog', p.id, holders(p)) })),
    links: bpftoolLinks().map((l) => ({ kind: 'link', id: l.id, name: `${l.type}:${l.prog_id}`, pids: pidsOf('link', l.id, holders(l)) })),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Programs and links present after the run that were not there before. The host is shared
 * (other test runs load BPF too): one held by a live process that is not ours (directly or
 * through a link) is counted as foreign, not as our leak. With every agent process gone,
 * anything else — held by nobody, e.g. pinned or attached without a link — is a leak.
 */
export function bpfLeaks(before: BpfSnapshot, after: BpfSnapshot, ours: ReadonlySet<number>): { leaked: BpfObjectInfo[]; foreign: BpfObjectInfo[] } {
  const seen = new Set([...before.progs, ...before.links].map((o) => `${o.kind}:${o.id}`));
  const leaked: BpfObjectInfo[] = [];
  const foreign: BpfObjectInfo[] = [];
  // A program attached through a link is held by whoever holds the link.
  const linkHolders = new Map<number, number[]>();
  for (const l of after.links) {
    const progId = Number(l.name.split(':').pop());
    linkHolders.set(progId, [...(linkHolders.get(progId) ?? []), ...l.pids]);
  }
  for (const o of [...after.progs, ...after.links]) {
    if (seen.has(`${o.kind}:${o.id}`)) continue;
    const pids = o.kind === 'prog' ? [...o.pids, ...(linkHolders.get(o.id) ?? [])] : o.pids;
    const heldByOther = pids.some((p) => !ours.has(p) && alive(p));
    (heldByOther ? foreign : leaked).push(o);
  }
  return { leaked, foreign };
}
