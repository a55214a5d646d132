// Public surface of the container resolver, zod-free at run time on purpose: tracer worker
// threads import it, and zod costs RSS in every worker (measured: docs/runtime.md, "Settings and zod"). The schemas live in config.ts
// (import containersConfigSchema / containerFilterSchema from './config.js') and the
// validating constructor for raw configuration in create.ts (createContainerResolver).
export { ContainerResolver, type ContainerResolverOptions, type RefreshCounts, type RefreshResult } from './resolver.js';
export { cpuUsage, cpuCapacity, throttling, tasks, pressure, cpuStat, type SourceOption, type CpuStatReading } from './accounting.js';
export { ContainerFilter, FILTER_FIELDS, normalizeFilterField, type FilterField, type FilterRule, type FilterRules } from './filter.js';
export type { ContainersConfig, ContainersConfigInput } from './config.js';
export { parseContainerPath, type ParsedContainerPath } from './id-parser.js';
export { detectCgroupMounts, type CgroupMounts, type V1Hierarchy, type MountedHierarchy } from './mounts.js';
export { ContainerError, ContainerGoneError, ContainerFilterError, isContainerGone, type ContainerErrorCode } from './errors.js';
export { toContainerRef, type ContainerRef } from './container-ref.js';
export * from './types.js';
