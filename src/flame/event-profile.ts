// What the renderers need from a stored event: its folded stacks and the facts for a title
// (tracer, time, sampling frequency). tracer_data is `unknown` in storage (each tracer has
// its own shape), so everything here is read defensively and a malformed profile is a
// coded error, never a TypeError deep inside a renderer.
import { mergeFolded, parseFolded, type FlameFrame, type FoldedStack } from '../capture/flamedata.js';
import type { EventDocument } from '../event/index.js';
import { FlameError } from './errors.js';

/** The facts about a profile that titles, speedscope names and pprof headers use. */
export interface ProfileMeta {
  tracerName: string;
  tracerId: string;
  /** RFC 3339, the event's tracer_time. */
  time: string;
  containerId: string;
  /** Sampling frequency in Hz, when the event records one (cpusys/cpuidle: tracer_data.profile.frequency). */
  frequency?: number;
  durationMs?: number;
  /** RFC 3339 start of the capture window, when recorded. */
  startedAt?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function profileMetaOf(doc: EventDocument): ProfileMeta {
  const meta: ProfileMeta = { tracerName: doc.tracer_name, tracerId: doc.tracer_id, time: doc.tracer_time, containerId: doc.container_id };
  const data = doc.tracer_data;
  const profile = isRecord(data) && isRecord(data.profile) ? data.profile : undefined;
  if (profile !== undefined) {
    if (typeof profile.frequency === 'number' && Number.isFinite(profile.frequency) && profile.frequency > 0) meta.frequency = profile.frequency;
    if (typeof profile.duration_ms === 'number' && Number.isFinite(profile.duration_ms) && profile.duration_ms >= 0) meta.durationMs = profile.duration_ms;
    if (typeof profile.started_at === 'string') meta.startedAt = profile.started_at;
  }
  return meta;
}

/**
 * Folded stacks of a stored event: tracer_data.folded (text) if present and non-empty, else
 * rebuilt from tracer_data.flamedata. Merged and sorted (mergeFolded), so both sources give
 * the same list. An empty stack (`[]`) carries samples that had no frame at all.
 */
export function foldedOfEvent(doc: EventDocument): FoldedStack[] {
  const data = isRecord(doc.tracer_data) ? doc.tracer_data : {};
  const where = `event ${doc.tracer_id} (tracer ${doc.tracer_name})`;
  if (typeof data.folded === 'string' && data.folded.trim() !== '') {
    let parsed: FoldedStack[];
    try {
      parsed = parseFolded(data.folded);
    } catch (err) {
      throw new FlameError('FLAME_BAD_PROFILE', `${where}: tracer_data.folded: ${(err as Error).message}`, { cause: err });
    }
    const bad = parsed.find((s) => s.count < 0);
    if (bad !== undefined) throw new FlameError('FLAME_BAD_PROFILE', `${where}: tracer_data.folded: negative count ${bad.count} for ${bad.stack.join(';')}`);
    const stacks = mergeFolded(parsed.filter((s) => s.count > 0));
    if (stacks.length > 0) return stacks;
  }
  if (Array.isArray(data.flamedata) && data.flamedata.length > 0) {
    const stacks = mergeFolded(foldedFromFlamedata(data.flamedata, where));
    if (stacks.length > 0) return stacks;
  }
  const failure = isRecord(data.capture_error) && typeof data.capture_error.message === 'string' ? ` (its capture failed: ${data.capture_error.message})` : '';
  throw new FlameError('FLAME_NO_PROFILE', `${where} has no profile: tracer_data has no non-empty folded or flamedata${failure}`);
}

function checkFrame(raw: unknown, i: number, where: string): FlameFrame {
  const f = isRecord(raw) ? raw : undefined;
  const ok =
    f !== undefined &&
    Number.isSafeInteger(f.level) && (f.level as number) >= 0 &&
    Number.isSafeInteger(f.value) && (f.value as number) >= 0 &&
    typeof f.label === 'string';
  if (!ok) throw new FlameError('FLAME_BAD_PROFILE', `${where}: tracer_data.flamedata[${i}] is not {level, value, self, label} with integer level and value`);
  return { level: f.level as number, value: f.value as number, self: typeof f.self === 'number' ? f.self : 0, label: f.label as string };
}

/**
 * Rebuilds folded stacks from a HUATUO pre-order flamedata walk. A node's own samples are
 * `value - Σ children's values` (not the stored `self`: HUATUO's own documents may lack it,
 * and the difference is what the graph shows anyway). Level 0 is the root ("all"); it is
 * not part of any stack.
 */
export function foldedFromFlamedata(flamedata: readonly unknown[], where = 'flamedata'): FoldedStack[] {
  const out: FoldedStack[] = [];
  // The open path: open[i] is the node at level i.
  const open: Array<{ label: string; value: number; childSum: number }> = [];
  const close = (): void => {
    const node = open.pop()!;
    const self = node.value - node.childSum;
    if (self < 0) throw new FlameError('FLAME_BAD_PROFILE', `${where}: flamedata node "${node.label}" has value ${node.value} below its children's ${node.childSum}`);
    if (self > 0) out.push({ stack: open.slice(1).map((n) => n.label).concat(open.length === 0 ? [] : [node.label]), count: self });
    const parent = open[open.length - 1];
    if (parent !== undefined) parent.childSum += node.value;
  };
  for (const [i, raw] of flamedata.entries()) {
    const frame = checkFrame(raw, i, where);
    if (i === 0 ? frame.level !== 0 : frame.level < 1 || frame.level > open.length) {
      throw new FlameError('FLAME_BAD_PROFILE', `${where}: tracer_data.flamedata[${i}] has level ${frame.level}; a pre-order walk starts at level 0 and goes at most one level deeper`);
    }
    while (open.length > frame.level) close();
    open.push({ label: frame.label, value: frame.value, childSum: 0 });
  }
  while (open.length > 0) close();
  return out;
}

/**
 * The folded stacks of the event's look-back profile (tracer_data.before.folded, issue 14
 * item 6), or undefined when the event has none (older events, sampler off, empty window).
 */
export function beforeFoldedOfEvent(doc: EventDocument): FoldedStack[] | undefined {
  const data = isRecord(doc.tracer_data) ? doc.tracer_data : {};
  const before = isRecord(data.before) ? data.before : undefined;
  if (before === undefined || typeof before.folded !== 'string' || before.folded.trim() === '') return undefined;
  try {
    const stacks = mergeFolded(parseFolded(before.folded).filter((s) => s.count > 0));
    return stacks.length > 0 ? stacks : undefined;
  } catch (err) {
    throw new FlameError('FLAME_BAD_PROFILE', `event ${doc.tracer_id} (tracer ${doc.tracer_name}): tracer_data.before.folded: ${(err as Error).message}`, { cause: err });
  }
}
