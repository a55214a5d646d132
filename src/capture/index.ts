// Public API of the profile capture library (see docs/capture.md).
export {
  captureProfile,
  attachScoped,
  type ScopedAttach,
  DEFAULT_DURATION_MS,
  DEFAULT_FREQUENCY_HZ,
  type CaptureProfileOptions,
  type CaptureScope,
  type CaptureScopeRequest,
  type CaptureLost,
  type CgroupMethod,
  type ProcessSamples,
  type ProfileCapture,
} from './capture-profile.js';
export {
  flamedataFromFolded,
  formatFolded,
  parseFolded,
  mergeFolded,
  topFunctions,
  FLAME_ROOT_LABEL,
  KERNEL_FRAME_SUFFIX,
  type FlameFrame,
  type FoldedStack,
  type TopFunction,
} from './flamedata.js';
export { readElfSymbols, findFunction, fileOffsetToVaddr, type ElfSymbolTable, type ElfFunction, type ReadElfOptions, type LoadSegment } from './elf-symbols.js';
export { capturePoolTrims, closeCapturePool, configureCapturePool, type CapturePoolOptions } from './symbolize-pool.js';
export { KERNEL_STACK_LOST_LABEL, USER_STACK_LOST_LABEL, UNKNOWN_LABEL, type SymbolizeStats } from './symbolize.js';
export { CaptureError, ElfError, type CaptureErrorCode, type ElfErrorCode } from './errors.js';
