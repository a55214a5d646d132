// Which program stamps a request's start, decided once from the kernel BTF before loading:
// block_io_start (6.5+, the submitter's context at request creation) or, before 6.5, the
// fallback iot_rq_insert (block_rq_insert for requests going through an IO scheduler;
// block_rq_issue covers the rest). What the fallback loses: docs/iotracing.md.
// The capture, the tracer's start-up check and doctor all ask this module, never the BTF.
import type { KernelBtf } from '../../../native/btf.js';
import { DEFAULT_BTF_PATH, FEATURES, kernelBtf } from '../../../native/features.js';

export type IoStartProgram = 'block_io_start' | 'fallback';

/** Per choice: the BPF program that runs and the tracepoint it attaches to. */
export const IO_START_PROGRAMS: Readonly<Record<IoStartProgram, { program: string; tracepoint: [string, string] }>> = {
  block_io_start: { program: 'iot_io_start', tracepoint: ['block', 'block_io_start'] },
  fallback: { program: 'iot_rq_insert', tracepoint: ['block', 'block_rq_insert'] },
};

/** The choice for a kernel, from its BTF. */
export function ioStartProgramFor(btf: KernelBtf): IoStartProgram {
  return FEATURES.tpBlockIoStart.present(btf) ? 'block_io_start' : 'fallback';
}

/** The choice for the running kernel (or the BTF at `btfPath`). */
export function selectIoStartProgram(btfPath: string = DEFAULT_BTF_PATH): IoStartProgram {
  return ioStartProgramFor(kernelBtf(btfPath));
}

/** Autoload for the start programs: the chosen one on, the other off. */
export function startProgramAutoload(choice: IoStartProgram): Record<string, boolean> {
  return Object.fromEntries((Object.keys(IO_START_PROGRAMS) as IoStartProgram[]).map((c) => [IO_START_PROGRAMS[c].program, c === choice]));
}
