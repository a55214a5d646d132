// Which OOM program this kernel gets, decided from its BTF before loading: the shape of
// oom/mark_victim's arguments (the victim task on 6.9+ and backports, its pid before) picks
// kevents_oom or kevents_oom_pid; a missing feature makes the tracer unavailable with the
// exact list (src/native/features.ts). Loading the task variant on a pid kernel would
// succeed and then report every victim as pid 0 with no name: the bug this prevents.
import { KEV_OOM_OBJECT, KEV_OOM_PID_OBJECT } from '../../../native/bpf/kevents.js';
import type { KernelBtf } from '../../../native/btf.js';
import { DEFAULT_BTF_PATH, FEATURES, kernelBtf, markVictimShape, tracerFeatureReport, type FeatureNeed } from '../../../native/features.js';
import { TracerUnavailableError } from '../../errors.js';
import type { KeventSpec } from '../shared/kevent-support.js';

export type OomVariant = 'task' | 'pid';

export interface OomProgram {
  variant: OomVariant;
  spec: KeventSpec;
}

/** The pid variant also needs signal_generate, where it learns the victim's identity. */
const PID_VARIANT_NEEDS: readonly FeatureNeed[] = [{ feature: FEATURES.tpSignalGenerate }];

export function selectOomProgram(base: KeventSpec, btf: KernelBtf): OomProgram {
  const report = tracerFeatureReport('oom', btf);
  if (report.unavailable !== undefined) throw new TracerUnavailableError(report.unavailable);
  const shape = markVictimShape(btf);
  if (shape === 'task') return { variant: 'task', spec: { ...base, object: KEV_OOM_OBJECT, featuresChecked: true } };
  const extra = tracerFeatureReport('oom', btf, PID_VARIANT_NEEDS);
  if (extra.unavailable !== undefined) throw new TracerUnavailableError(`${extra.unavailable} (needed by the pre-6.9 mark_victim variant)`);
  return {
    variant: 'pid',
    spec: { ...base, object: KEV_OOM_PID_OBJECT, featuresChecked: true, tracepoints: [...base.tracepoints, ['signal', 'signal_generate']] },
  };
}

/** selectOomProgram on the BTF the spec points at (the running kernel's by default). */
export function selectOomProgramFromBtf(base: KeventSpec): OomProgram {
  let btf: KernelBtf;
  try {
    btf = kernelBtf(base.probe?.btfPath ?? DEFAULT_BTF_PATH);
  } catch (err) {
    throw new TracerUnavailableError(`oom: ${(err as Error).message}: its programs need kernel BTF (CONFIG_DEBUG_INFO_BTF=y)`, { cause: err });
  }
  return selectOomProgram(base, btf);
}
