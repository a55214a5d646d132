// The memburst event's tracer_data (snake_case, bytes), pinned by test/memburst/event.test.ts.
import type { Growth, ProcessMemory } from './processes.js';

export interface ContainerOfPid {
  container_id: string | null;
  container_hostname?: string;
}

export interface TopMemoryItem extends ContainerOfPid {
  pid: number;
  process_name: string;
  /** VmRSS, bytes (HUATUO's memory_size). */
  memory_size: number;
  /** RssAnon, bytes. */
  anon_size: number;
}

export interface TopGrowthItem extends TopMemoryItem {
  /** RssAnon growth over the window, bytes. */
  growth_size: number;
  /** RssAnon at the start of the window, bytes (0 for a process newer than the window). */
  anon_size_before: number;
}

export interface MemburstEventData {
  top_memory_usage: TopMemoryItem[];
  top_memory_growth: TopGrowthItem[];
  /** Active(anon)+Inactive(anon) now and at the oldest sample, and MemTotal, bytes. */
  anon_size: number;
  anon_size_oldest: number;
  mem_total: number;
  growth_percent: number;
  burst_percent: number;
  anon_percent: number;
  window_seconds: number;
  reason: string;
}

export interface BuildEventInput {
  top: readonly ProcessMemory[];
  growth: readonly Growth[];
  containerOf: (pid: number) => ContainerOfPid;
  anonBytes: number;
  oldestAnonBytes: number;
  memTotalBytes: number;
  burstPercent: number;
  anonPercent: number;
  windowSeconds: number;
  reason: string;
}

export function buildEventData(input: BuildEventInput): MemburstEventData {
  const item = (p: ProcessMemory): TopMemoryItem => ({
    pid: p.pid,
    process_name: p.name,
    memory_size: p.rssBytes,
    anon_size: p.anonBytes,
    ...input.containerOf(p.pid),
  });
  return {
    top_memory_usage: input.top.map(item),
    top_memory_growth: input.growth.map((g) => ({ ...item(g.process), growth_size: g.growthBytes, anon_size_before: g.anonBeforeBytes })),
    anon_size: input.anonBytes,
    anon_size_oldest: input.oldestAnonBytes,
    mem_total: input.memTotalBytes,
    growth_percent: input.oldestAnonBytes > 0 ? Math.round((input.anonBytes / input.oldestAnonBytes - 1) * 10000) / 100 : 0,
    burst_percent: input.burstPercent,
    anon_percent: input.anonPercent,
    window_seconds: input.windowSeconds,
    reason: input.reason,
  };
}
