// Public API of the native layer: typed wrappers over the libbpf addon. See
// docs/native-addon.md for what it survives and how to use it.
export { BpfError, type BpfErrorCode } from './errors.js';
export {
  BpfObject,
  enableBpfStats,
  libbpfVersion,
  type BpfOpenOptions,
  type ProgramInfo,
  type MapInfo,
  type ProgramStats,
  type UprobeTarget,
  type PerfEventOptions,
} from './bpf-object.js';
export { BpfMap, type MapUpdateFlag } from './bpf-map.js';
export { limitMallocArenas, trimMalloc } from './malloc.js';
export type { RingBuffer, RingBufferOptions } from './ring-buffer.js';
