// The kernel-feature part of `autotracer doctor`: for each tracer, every feature it needs
// read from kernel BTF (present / missing / fallback, with the kernel version that brought
// it) and the BPF program variant it will load here. The same code answers for another
// kernel when given that kernel's BTF file (`doctor --btf <file>`), which is how the qemu
// test (test/kernels) compares the prediction with what really loads on Debian's 6.1.
import { selectOomProgram } from '../actors/tracers/oom/variant.js';
import { iotracingAutoload } from '../actors/tracers/iotracing/capture.js';
import { IO_START_PROGRAMS, ioStartProgramFor } from '../actors/tracers/iotracing/start-program.js';
import { IOTRACING_OBJECT } from '../native/bpf/iotracing.js';
import { KEV_OOM_OBJECT } from '../native/bpf/kevents.js';
import type { KernelBtf } from '../native/btf.js';
import { markVictimShape, TRACER_FEATURES, tracerFeatureReport, type FeatureVerdict } from '../native/features.js';
import { check, type CheckResult } from './doctor-report.js';

function featureCheck(tracer: string, v: FeatureVerdict): CheckResult {
  const id = `feature.${tracer}.${v.id}`;
  const title = `kernel: ${v.title}`;
  switch (v.status) {
    case 'present':
      return check(id, title, 'ok', `present (Linux ${v.since}+)`);
    case 'fallback':
      return check(id, title, 'warn', `missing (Linux ${v.since}+): fallback: ${v.fallback ?? ''}`, 'nothing to do: the tracer runs with the fallback');
    case 'missing':
      return check(id, title, 'fail', `missing: needs Linux ${v.since}+ (or a backport)`, `run a kernel that has it; \`autotracer doctor --json\` lists every feature of ${tracer}`);
  }
}

/** One check per declared feature of `tracer` (none for a tracer without BPF needs). */
export function featureChecks(tracer: string, btf: KernelBtf): CheckResult[] {
  if (TRACER_FEATURES[tracer] === undefined) return [];
  return tracerFeatureReport(tracer, btf).verdicts.map((v) => featureCheck(tracer, v));
}

export interface ObjectChoice {
  objects: string[];
  check: CheckResult;
  /** Programs to load per object where the choice is a program of one object (iotracing), not an object. */
  autoload?: Record<string, Record<string, boolean>>;
}

/** iotracing: one object, whose request-start program depends on the kernel (start-program.ts). */
function iotracingChoice(btf: KernelBtf, declared: readonly string[], predict: boolean): ObjectChoice {
  const choice = ioStartProgramFor(btf);
  const { program } = IO_START_PROGRAMS[choice];
  const detail = choice === 'block_io_start'
    ? `block_io_start: ${program}`
    : `no block_io_start (before 6.5): ${program} fallback (request start from block_rq_insert / block_rq_issue)`;
  // Predicting for another kernel loads nothing: the host's tracefs says nothing about it.
  const autoload = predict ? undefined : { [IOTRACING_OBJECT]: iotracingAutoload(choice) };
  return { objects: [...declared], check: check('variant.iotracing', 'program variant', 'ok', detail), ...(autoload !== undefined ? { autoload } : {}) };
}

/**
 * Where a tracer picks its BPF object by kernel shape, which one it picks here; undefined
 * for tracers with a single object. The choice is the tracer's own code (oom/variant.ts,
 * iotracing/start-program.ts).
 */
export function objectChoice(tracer: string, btf: KernelBtf, declared: readonly string[], predict = false): ObjectChoice | undefined {
  if (tracer === 'iotracing') return iotracingChoice(btf, declared, predict);
  if (tracer !== 'oom') return undefined;
  const shape = markVictimShape(btf);
  try {
    const chosen = selectOomProgram({ tracer, tracepoints: [['oom', 'mark_victim']], object: KEV_OOM_OBJECT }, btf);
    const objects = declared.map((o) => (o === KEV_OOM_OBJECT ? chosen.spec.object : o));
    const detail = chosen.variant === 'task'
      ? `mark_victim passes the victim task: ${chosen.spec.object}`
      : `mark_victim passes ${shape === 'pid' ? 'only the victim pid (before 6.9)' : 'an unknown argument shape'}: ${chosen.spec.object} (victim identity from its SIGKILL)`;
    return { objects, check: check('variant.oom', 'program variant', 'ok', detail) };
  } catch (err) {
    return { objects: [...declared], check: check('variant.oom', 'program variant', 'fail', (err as Error).message, 'see the missing kernel features above') };
  }
}
