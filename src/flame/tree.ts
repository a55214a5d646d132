// The merged call tree the SVG is drawn from, laid out in samples (x = samples before this
// frame at its depth, width = its samples) and pruned for size: a frame narrower than
// `minWidthPx` at the full-graph scale cannot be seen or clicked, so it is left out (with its
// subtree; its samples still count in its parent's width), and if more than `maxFrames`
// remain the smallest go too. What was left out is counted so the title can say so.
import { FLAME_ROOT_LABEL, KERNEL_FRAME_SUFFIX, type FoldedStack } from '../capture/flamedata.js';

/** How a frame is coloured: kernel (`_[k]`), user code, the process (the stack's first frame), anything else (root, unknown/lost frames). */
export type FrameKind = 'kernel' | 'user' | 'process' | 'other';

export interface LaidFrame {
  label: string;
  kind: FrameKind;
  depth: number;
  /** Samples to the left of this frame at its depth (its x, in samples). */
  start: number;
  /** Samples in this frame and below (its width, in samples). */
  value: number;
  /** Samples whose innermost frame this is. */
  self: number;
}

export interface LaidTree {
  /** Kept frames in pre-order; [0] is the root. */
  frames: LaidFrame[];
  total: number;
  /** Deepest kept depth (root = 0). */
  maxDepth: number;
  /** Frames left out for being too narrow (or beyond maxFrames), subtrees included. */
  omittedFrames: number;
  /** Frames in the whole tree, root included. */
  allFrames: number;
}

export interface LayoutOptions {
  /** Drawing width of the full graph in px (the root's width). */
  widthPx: number;
  /** Frames narrower than this at full scale are left out. */
  minWidthPx: number;
  /** Hard cap on frames drawn (the widest are kept). */
  maxFrames: number;
}

interface Node {
  label: string;
  value: number;
  self: number;
  children: Map<string, Node>;
}

/** Labels come from symbol tables: make them one line of text that XML can carry. */
export function cleanLabel(label: string): string {
  // XML 1.0 forbids most control characters and lone surrogates; a tooltip wants one line.
  return label.replace(/[\t\n\r]/g, ' ').replace(/[^\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

export function frameKind(label: string, depth: number): FrameKind {
  if (depth === 0) return 'other';
  if (label.endsWith(KERNEL_FRAME_SUFFIX)) return 'kernel';
  if (depth === 1) return 'process';
  // [unknown], [user stack lost], bare addresses: no symbol, nothing to read.
  if (label.startsWith('[') || /^0x[0-9a-f]+$/i.test(label)) return 'other';
  return 'user';
}

const byLabel = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function layoutFolded(folded: readonly FoldedStack[], options: LayoutOptions): LaidTree {
  const root: Node = { label: FLAME_ROOT_LABEL, value: 0, self: 0, children: new Map() };
  let allFrames = 1;
  for (const { stack, count } of folded) {
    if (count <= 0) continue;
    let node = root;
    node.value += count;
    for (const raw of stack) {
      // Keyed by the raw label; cleaned once per node, not once per stack frame.
      let child = node.children.get(raw);
      if (child === undefined) {
        child = { label: cleanLabel(raw), value: 0, self: 0, children: new Map() };
        node.children.set(raw, child);
        allFrames++;
      }
      child.value += count;
      node = child;
    }
    node.self += count;
  }
  const total = root.value;
  // Width threshold in samples. Children never exceed their parent, so "value >= t" keeps a
  // set closed under ancestors: pruning by a threshold never orphans a frame.
  let threshold = total === 0 ? 0 : (options.minWidthPx * total) / options.widthPx;
  const wide = collectValues(root, threshold);
  if (wide.length > options.maxFrames) {
    wide.sort((a, b) => b - a);
    // Keep frames strictly wider than the first one past the cap (ties go together, so
    // the result may be a little under the cap, never over).
    threshold = Math.max(threshold, wide[options.maxFrames]! + 0.5); // values are integers
  }
  const frames: LaidFrame[] = [];
  let maxDepth = 0;
  const todo: Array<{ node: Node; depth: number; start: number }> = [{ node: root, depth: 0, start: 0 }];
  while (todo.length > 0) {
    const { node, depth, start } = todo.pop()!;
    frames.push({ label: node.label, kind: frameKind(node.label, depth), depth, start, value: node.value, self: node.self });
    if (depth > maxDepth) maxDepth = depth;
    const children = [...node.children.values()].sort((a, b) => byLabel(a.label, b.label));
    let x = start;
    const next: Array<{ node: Node; depth: number; start: number }> = [];
    for (const child of children) {
      if (child.value >= threshold) next.push({ node: child, depth: depth + 1, start: x });
      x += child.value;
    }
    // Reverse push: the stack pops them left to right (pre-order, like flamedata).
    for (let i = next.length - 1; i >= 0; i--) todo.push(next[i]!);
  }
  return { frames, total, maxDepth, omittedFrames: allFrames - frames.length, allFrames };
}

/** Values of every node at or above the threshold (the root always). */
function collectValues(root: Node, threshold: number): number[] {
  const out: number[] = [];
  const todo: Node[] = [root];
  while (todo.length > 0) {
    const node = todo.pop()!;
    out.push(node.value);
    for (const child of node.children.values()) if (child.value >= threshold) todo.push(child);
  }
  return out;
}
