// Folded stacks -> HUATUO `flamedata` (the Grafana flame-graph "nested set" format): a
// pre-order walk of the merged call tree as {level, value, self, label}. Pure functions,
// no I/O: the capture, tests and later encoders (svg, pprof) share them.
import { escapeControlChars } from '../common/control-chars.js';

/** One distinct stack, root first (`[comm, outermost user frame, ..., innermost kernel frame]`), with its sample count. */
export interface FoldedStack {
  stack: string[];
  count: number;
}

export interface FlameFrame {
  /** Depth; the root "all" is 0. */
  level: number;
  /** Samples in this node and below. */
  value: number;
  /** Samples whose innermost frame is this node. */
  self: number;
  label: string;
}

export const FLAME_ROOT_LABEL = 'all';
/**
 * A frame label taken from the host, e.g. a process name (comm), made safe for folded text:
 * comm is whatever the process set with prctl(PR_SET_NAME), so a newline in it split a
 * folded line (FLAME_BAD_PROFILE) and a ';' moved samples under a made-up frame.
 */
export function sanitizeFrameLabel(label: string): string {
  const safe = escapeControlChars(label).replaceAll(';', ':');
  return safe === '' ? '[unnamed]' : safe;
}

/** Suffix of kernel frames, as HUATUO's perf tool writes them. */
export const KERNEL_FRAME_SUFFIX = '_[k]';

interface Node {
  value: number;
  self: number;
  children: Map<string, Node>;
}

const newNode = (): Node => ({ value: 0, self: 0, children: new Map() });

/** Code-unit order: the same on every machine and locale (localeCompare is not). */
const byLabel = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Merges stacks by path and flattens the tree in pre-order. The root is "all" (value =
 * every sample); children of a node are ordered by label in code-unit order (the
 * flamegraph.pl convention: independent of the counts, so two captures diff cleanly).
 * Accepts folded objects or folded text (`a;b;c 12` lines). Non-positive or
 * non-integer counts are rejected; an empty stack counts as "all"'s own samples.
 */
export function flamedataFromFolded(folded: readonly FoldedStack[] | string): FlameFrame[] {
  const stacks = typeof folded === 'string' ? parseFolded(folded) : folded;
  const root = newNode();
  for (const { stack, count } of stacks) {
    if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError(`folded stack ${stack.join(';')}: count must be a positive integer, got ${count}`);
    let node = root;
    node.value += count;
    for (const label of stack) {
      let child = node.children.get(label);
      if (child === undefined) {
        child = newNode();
        node.children.set(label, child);
      }
      child.value += count;
      node = child;
    }
    node.self += count;
  }
  const out: FlameFrame[] = [];
  // Explicit stack instead of recursion: kernel + user stacks can be 250 frames deep.
  const todo: Array<{ node: Node; label: string; level: number }> = [{ node: root, label: FLAME_ROOT_LABEL, level: 0 }];
  while (todo.length > 0) {
    const { node, label, level } = todo.pop()!;
    out.push({ level, value: node.value, self: node.self, label });
    const children = [...node.children.entries()].sort(([a], [b]) => byLabel(a, b));
    for (let i = children.length - 1; i >= 0; i--) {
      const [childLabel, child] = children[i]!;
      todo.push({ node: child, label: childLabel, level: level + 1 });
    }
  }
  return out;
}

/** `frame;frame;frame count` lines; ';' inside a frame becomes ':' (it is the separator). */
export function formatFolded(folded: readonly FoldedStack[]): string {
  return folded.map(({ stack, count }) => `${stack.map((f) => f.replaceAll(';', ':')).join(';')} ${count}\n`).join('');
}

/** Parses `frame;frame count` lines (blank lines ignored; frames may contain spaces). */
export function parseFolded(text: string): FoldedStack[] {
  const out: FoldedStack[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const space = line.lastIndexOf(' ');
    const count = Number(line.slice(space + 1));
    if (space <= 0 || !Number.isSafeInteger(count)) throw new SyntaxError(`folded line ${i + 1}: expected "frame;frame count", got ${JSON.stringify(line)}`);
    out.push({ stack: line.slice(0, space).split(';'), count });
  }
  return out;
}

/** Merges equal stacks (summing counts) and sorts them by stack, for a canonical folded list. */
export function mergeFolded(folded: readonly FoldedStack[]): FoldedStack[] {
  const merged = new Map<string, FoldedStack>();
  for (const { stack, count } of folded) {
    const key = stack.join('\u0000');
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, { stack: [...stack], count });
    else seen.count += count;
  }
  return [...merged.entries()].sort(([a], [b]) => byLabel(a, b)).map(([, v]) => v);
}

export interface TopFunction {
  label: string;
  /** Samples with this function as the innermost frame (summed over every node with that label). */
  self: number;
  /** self / all samples, in percent */
  percent: number;
}

/** The `limit` labels with most self samples (ties by label), the root excluded. */
export function topFunctions(flamedata: readonly FlameFrame[], limit = 20): TopFunction[] {
  const total = flamedata[0]?.value ?? 0;
  const self = new Map<string, number>();
  for (const f of flamedata) if (f.level > 0 && f.self > 0) self.set(f.label, (self.get(f.label) ?? 0) + f.self);
  return [...self.entries()]
    .sort(([la, a], [lb, b]) => b - a || byLabel(la, lb))
    .slice(0, limit)
    .map(([label, s]) => ({ label, self: s, percent: total === 0 ? 0 : (100 * s) / total }));
}
