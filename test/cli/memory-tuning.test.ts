// What `autotracer run` does to its own memory (src/cli/memory-tuning.ts), seen from
// outside like the overhead bench: the actor isolates do not get their own copy of V8's
// embedded builtins (one mapping of node's text per isolate otherwise, ~0.9 MB each).
import { readFileSync, realpathSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempDir, removeDir, startAgentProcess, type AgentProcess } from './support.js';

/** File offsets of node's executable mapped r-xp more than once (one per isolate with short builtin calls). */
function remappedTextOffsets(pid: number): string[] {
  const node = realpathSync(process.execPath);
  const offsets = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')
    .map((l) => l.split(/\s+/))
    .filter((f) => f[1] === 'r-xp' && f[5] === node)
    .map((f) => f[2]!);
  return [...new Set(offsets.filter((o, i) => offsets.indexOf(o) !== i))];
}

describe('autotracer run: memory tuning', () => {
  let dir: string | undefined;
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.stop();
    removeDir(dir);
  });

  it('storage and a tracer in worker threads map node\'s text once (no per-isolate builtins copy)', async () => {
    dir = makeTempDir();
    agent = await startAgentProcess(dir, { tracers: { example: { enabled: true } } });
    const pid = agent.child.pid!;
    // Two worker isolates (storage, example) plus the main one are running by now.
    const threads = Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    assert.ok(threads >= 3, `${threads} threads`);
    assert.deepEqual(remappedTextOffsets(pid), [], 'an isolate re-mapped node\'s embedded builtins');
  });
});
