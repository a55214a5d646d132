// Memory settings the agent applies to its own process (measured effect on the idle agent:
// docs/performance.md, "Idle memory"). Both settings act only on threads and isolates
// created afterwards, so tuneAgentMemory() runs in the `run` command before the agent's
// modules load: loading them already starts V8 and libuv helper threads.
import { setFlagsFromString } from 'node:v8';
import { limitMallocArenas, trimMalloc } from '../native/malloc.js';

/** glibc arenas for the whole agent (glibc's own default: 8 per CPU). */
const mallocArenaMax = 2;
/** One malloc_trim this long after start-up, when start-up garbage has been collected. */
const trimDelayMs = 30_000;

export function tuneAgentMemory(): void {
  // On x64 V8 copies its embedded builtins (~0.9 MB of node's text) next to every new
  // isolate's code so that builtin calls are near calls ("short builtin calls"): ~9 MB of
  // RSS for 10 actor isolates. The far-call cost was not measurable on the agent.
  setFlagsFromString('--no-short-builtin-calls');
  // Every thread that contends for malloc gets its own arena, whose freed pages stay
  // resident: ~14 arenas with one worker thread per actor. An explicit MALLOC_ARENA_MAX
  // (already applied by glibc at start-up) is the operator's choice and wins.
  if (process.env.MALLOC_ARENA_MAX !== undefined) return;
  try {
    limitMallocArenas(mallocArenaMax);
  } catch {
    // No addon build: the tracers report that themselves; glibc's default applies.
  }
}

/** Returns start-up's freed malloc memory to the kernel, once, a while after start-up. */
export function scheduleStartupTrim(): void {
  setTimeout(() => {
    try {
      trimMalloc();
    } catch {
      // No addon build: nothing to trim with.
    }
  }, trimDelayMs).unref();
}
