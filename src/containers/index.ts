// Public surface of the container resolver.
export { ContainerResolver, type ContainerResolverOptions, type RefreshResult } from './resolver.js';
export { cpuUsage, cpuCapacity, throttling, tasks, pressure, type SourceOption } from './accounting.js';
export { ContainerFilter, FILTER_FIELDS, normalizeFilterField, type FilterField, type FilterRule, type FilterRules } from './filter.js';
export { containersConfigSchema, containerFilterSchema, type ContainersConfig, type ContainersConfigInput } from './config.js';
export { parseContainerPath, type ParsedContainerPath } from './id-parser.js';
export { detectCgroupMounts, type CgroupMounts, type V1Hierarchy, type MountedHierarchy } from './mounts.js';
export { ContainerError, ContainerGoneError, ContainerFilterError, isContainerGone, type ContainerErrorCode } from './errors.js';
export * from './types.js';
