// The start-of-tracer half of feature probing: before loading any BPF, a tracer asks the
// kernel BTF for everything it needs (src/native/features.ts TRACER_FEATURES) and, when
// something without a fallback is missing, becomes `unavailable` with the exact list and
// kernel versions instead of a verifier log.
import { DEFAULT_BTF_PATH, probeTracer, type TracerFeatureReport } from '../../../native/features.js';
import { TracerUnavailableError } from '../../errors.js';

export function assertKernelFeatures(tracer: string, btfPath: string = DEFAULT_BTF_PATH): TracerFeatureReport {
  const report = probeTracer(tracer, btfPath);
  if (report.unavailable !== undefined) throw new TracerUnavailableError(report.unavailable);
  return report;
}
