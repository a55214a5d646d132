// Host changes (cgroups, loop devices, sysctls) and processes started by a benchmark are
// registered here as they are made; each benchmark undoes its own in `finally`, and the entry
// runs whatever is left when it is interrupted (SIGINT/SIGTERM) or a benchmark throws, so a
// Ctrl-C never leaves a loop device or a frozen file system behind.

type Undo = () => void | Promise<void>;

const pending = new Map<number, { what: string; undo: Undo }>();
let nextId = 1;

/** Registers an undo; the returned function runs it once and unregisters it. */
export function onCleanup(what: string, undo: Undo): () => Promise<void> {
  const id = nextId++;
  pending.set(id, { what, undo });
  return async () => {
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    await entry.undo();
  };
}

/** Runs every pending undo, newest first; failures are reported, never thrown. */
export async function runAllCleanups(log: (msg: string) => void): Promise<void> {
  const entries = [...pending.entries()].reverse();
  pending.clear();
  for (const [, { what, undo }] of entries) {
    try {
      await undo();
    } catch (err) {
      log(`cleanup of ${what} failed: ${(err as Error).message}`);
    }
  }
}

/**
 * On SIGINT/SIGTERM: undo every pending host change, then exit 130/143. For the entry
 * scripts (bench/run.ts and the modules' own CLIs) only.
 */
export function installSignalCleanup(log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: undoing host changes and stopping what the benchmark started…`);
      void runAllCleanups(log).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}
