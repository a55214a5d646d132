// Shared by the flame tests: the realistic folded fixture (420 stacks from nginx, postgres,
// node, a C++ app with <, &, " and ' in its symbols, stress-ng, kworker and idle, kernel
// frames ending in `_[k]`) and an EventDocument around it, as cpusys stores one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFolded, type FoldedStack } from '../../src/capture/flamedata.js';
import { repoRoot } from '../../src/paths.js';
import type { EventDocument } from '../../src/event/index.js';

export const FIXTURE_PATH = join(repoRoot, 'test', 'fixtures', 'flame', 'profile.folded');
export const fixtureText = (): string => readFileSync(FIXTURE_PATH, 'utf8');
export const fixtureFolded = (): FoldedStack[] => parseFolded(fixtureText());
export const fixtureTotal = (): number => fixtureFolded().reduce((n, s) => n + s.count, 0);

export function eventDoc(tracerData: unknown, overrides: Partial<EventDocument> = {}): EventDocument {
  return {
    hostname: 'host-1', region: 'eu-test', uploaded_time: '2026-11-27T12:00:01.000Z',
    container_id: '', container_hostname: '', container_type: '', container_qos: '',
    tracer_name: 'cpusys', tracer_id: '0000019ac5f3a2b1-000001', tracer_time: '2026-11-27T12:00:00.000Z', tracer_type: 'autotracing',
    capture_started: '2026-11-27T12:00:00.000Z', capture_ended: '2026-11-27T12:00:10.000Z',
    tracer_data: tracerData,
    ...overrides,
  };
}

/** A cpusys-like tracer_data: the fixture as folded text and no flamedata (the renderers must not need it). */
export function cpusysData(folded = fixtureText()): Record<string, unknown> {
  return {
    system_percent: 62, system_percent_threshold: 45, system_percent_delta: 31, system_percent_delta_threshold: 20,
    flamedata: [], folded,
    profile: {
      started_at: '2026-11-27T11:59:50.000Z', duration_ms: 10_000, frequency: 99, samples: 6925,
      lost: { kernel_stacks: 0, user_stacks: 1, counts_full: 0 }, scope: { kind: 'host' }, aborted: false,
      processes: [{ tgid: 4242, comm: 'app<server>&"x"', cgroup_id: '1', samples: 100 }],
    },
    note: '<script>alert("x")</script> & friends',
  };
}

/** The label of a frame as the SVG's <title> holds it (before the " (N samples, P%)" suffix). */
export function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);
}
