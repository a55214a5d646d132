// The symbolization job: raw stack ids + instruction pointers + maps snapshots in,
// folded stacks out. Runs in the piscina pool (symbolize-worker.ts) so parsing kallsyms
// and ELF files never blocks the capturing actor's event loop; also callable inline.
import { basename } from 'node:path';
import { threadId } from 'node:worker_threads';
import { KernelSymbols } from '../native/kallsyms.js';
import { ElfCache } from './elf-cache.js';
import { fileOffsetToVaddr, findFunction } from './elf-symbols.js';
import { KERNEL_FRAME_SUFFIX, flamedataFromFolded, mergeFolded, sanitizeFrameLabel, type FlameFrame, type FoldedStack } from './flamedata.js';
import { findMapping, type ProcessMaps } from './proc-maps.js';

/** Frame labels for stacks that were lost (counted in the result's `lost` too). */
export const KERNEL_STACK_LOST_LABEL = `[kernel stack lost]${KERNEL_FRAME_SUFFIX}`;
export const USER_STACK_LOST_LABEL = '[user stack lost]';
/** A user address with no maps snapshot (the process exited before the end of the capture). */
export const UNKNOWN_LABEL = '[unknown]';

/** A stack reference: a key into the job's stack tables, 'none' (no stack of that kind) or 'lost'. */
export type StackRef = number | 'none' | 'lost';

export interface RawSample {
  tgid: number;
  pid: number;
  comm: string;
  kernel: StackRef;
  user: StackRef;
  count: number;
}

export interface SymbolizeJob {
  samples: RawSample[];
  /** stack id -> kernel ips, innermost first */
  kernelStacks: Array<[number, bigint[]]>;
  /** stack id -> user ips, innermost first (user addresses fit a Number) */
  userStacks: Array<[number, number[]]>;
  maps: ProcessMaps[];
  /** Default /proc/kallsyms. */
  kallsymsPath?: string;
}

export interface SymbolizeStats {
  userFrames: number;
  /** Frames resolved to a function name. */
  userFramesSymbolized: number;
  /** Processes sampled with user stacks whose maps were not available (exited). */
  processesWithoutMaps: number;
  elfCacheHits: number;
  elfCacheMisses: number;
  cpuMs: number;
  /** worker_threads threadId of the thread that ran the job (0 = a main thread). */
  threadId: number;
}

export interface SymbolizeResult {
  /** merged, sorted by stack */
  folded: FoldedStack[];
  /** built here too, so the caller's thread only receives it */
  flamedata: FlameFrame[];
  stats: SymbolizeStats;
}

// Per-worker caches: a worker lives across captures (piscina idleTimeout).
const elfCache = new ElfCache();
const KALLSYMS_MAX_AGE_MS = 60_000; // modules can load: do not trust a snapshot forever
let kallsyms: { path: string; at: number; symbols: KernelSymbols } | undefined;

function kernelSymbols(path: string): KernelSymbols {
  if (kallsyms === undefined || kallsyms.path !== path || Date.now() - kallsyms.at > KALLSYMS_MAX_AGE_MS) {
    kallsyms = { path, at: Date.now(), symbols: KernelSymbols.load(path) };
  }
  return kallsyms.symbols;
}

export function kernelFrameLabel(symbols: KernelSymbols, ip: bigint): string {
  const sym = symbols.resolve(ip);
  // Offsets are dropped so one function is one node (HUATUO kept them and got siblings).
  if (sym === undefined) return `0x${ip.toString(16)}${KERNEL_FRAME_SUFFIX}`;
  return `${sym.name}${sym.module === undefined ? '' : ` [${sym.module}]`}${KERNEL_FRAME_SUFFIX}`;
}

export function symbolizeProfile(job: SymbolizeJob): SymbolizeResult {
  const cpu0 = process.cpuUsage();
  const stats: SymbolizeStats = { userFrames: 0, userFramesSymbolized: 0, processesWithoutMaps: 0, elfCacheHits: 0, elfCacheMisses: 0, cpuMs: 0, threadId };
  const hits0 = elfCache.hits;
  const misses0 = elfCache.misses;
  const kernelStacks = new Map(job.kernelStacks);
  const userStacks = new Map(job.userStacks);
  const maps = new Map(job.maps.map((m) => [m.tgid, m]));
  const ksyms = job.samples.some((s) => typeof s.kernel === 'number') ? kernelSymbols(job.kallsymsPath ?? '/proc/kallsyms') : undefined;

  // Labels root-first, memoised: many samples share a stack.
  const kernelLabels = new Map<number, string[]>();
  const userLabels = new Map<string, string[]>();
  const missingMaps = new Set<number>();

  const kernelFrames = (ref: StackRef): string[] => {
    if (ref === 'none') return [];
    if (ref === 'lost') return [KERNEL_STACK_LOST_LABEL];
    let labels = kernelLabels.get(ref);
    if (labels === undefined) {
      labels = (kernelStacks.get(ref) ?? []).map((ip) => kernelFrameLabel(ksyms!, ip)).reverse();
      kernelLabels.set(ref, labels);
    }
    return labels;
  };

  const userFrames = (tgid: number, ref: StackRef): string[] => {
    if (ref === 'none') return [];
    if (ref === 'lost') return [USER_STACK_LOST_LABEL];
    const key = `${tgid}:${ref}`;
    let labels = userLabels.get(key);
    if (labels === undefined) {
      const pmaps = maps.get(tgid);
      if (pmaps === undefined) missingMaps.add(tgid);
      labels = (userStacks.get(ref) ?? []).map((ip, depth) => {
        stats.userFrames++;
        const label = userFrameLabel(pmaps, ip, depth);
        return label;
      }).reverse();
      userLabels.set(key, labels);
    }
    return labels;
  };

  const userFrameLabel = (pmaps: ProcessMaps | undefined, ip: number, depth: number): string => {
    if (pmaps === undefined) return UNKNOWN_LABEL;
    // Every frame but the innermost holds a return address, which points at the
    // instruction after the call: step back one byte to land inside the caller (a call
    // at the very end of a function would otherwise be blamed on the next one).
    const addr = depth === 0 ? ip : ip - 1;
    const mapping = findMapping(pmaps, addr);
    if (mapping === undefined) return UNKNOWN_LABEL;
    if (mapping.file === undefined) return mapping.name.startsWith('[') ? mapping.name : `[${basename(mapping.name)}]`;
    const table = elfCache.get(mapping.file);
    const fileOffset = addr - mapping.start + mapping.offset;
    const vaddr = table === undefined ? undefined : fileOffsetToVaddr(table, fileOffset);
    const fn = vaddr === undefined ? undefined : findFunction(table!, vaddr);
    if (fn === undefined) return `[${basename(mapping.file.path)}]`;
    stats.userFramesSymbolized++;
    return fn.name;
  };

  const folded: FoldedStack[] = job.samples.map((s) => ({
    stack: [sanitizeFrameLabel(s.comm), ...userFrames(s.tgid, s.user), ...kernelFrames(s.kernel)],
    count: s.count,
  }));
  stats.processesWithoutMaps = missingMaps.size;
  stats.elfCacheHits = elfCache.hits - hits0;
  stats.elfCacheMisses = elfCache.misses - misses0;
  const merged = mergeFolded(folded);
  const flamedata = flamedataFromFolded(merged);
  const cpu = process.cpuUsage(cpu0);
  stats.cpuMs = (cpu.user + cpu.system) / 1000;
  return { folded: merged, flamedata, stats };
}
