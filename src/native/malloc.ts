// glibc malloc tuning for the agent process (see docs/performance.md, "Idle memory").
// glibc gives every thread that contends for malloc its own arena, up to 8 per CPU; the
// agent runs one worker thread per actor, so a 2-CPU host ends up with ~14 arenas whose
// freed pages stay resident (20–32 MB of idle RSS, measured). Capping them to 2 costs
// nothing measurable at idle: actors mostly sleep, so contention on the shared arenas is rare.
import { nativeAddon } from './native-binding.js';

/**
 * Caps glibc's malloc arenas. Arenas that already exist stay (each thread that has
 * allocated keeps one), so call this before worker threads start. Returns false
 * when the libc ignores it (not glibc). Throws BpfError BPF_OPEN_FAILED without an addon build.
 */
export function limitMallocArenas(max: number): boolean {
  return nativeAddon().mallocArenaMax(max);
}

/** Returns the free memory of every arena to the kernel (malloc_trim(0)): one call after start-up. */
export function trimMalloc(): boolean {
  return nativeAddon().mallocTrim();
}
