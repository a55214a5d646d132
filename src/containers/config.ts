// The `containers` section of the agent configuration (zod 4, strict, every field
// defaulted). Relative cgroup paths are the same in every hierarchy, so one list of roots
// serves v2 and v1 alike; the mounts themselves come from mountinfo unless overridden.
import { z } from 'zod';
import { regexSchema } from '../common/schema.js';
import { normalizeFilterField, FILTER_FIELDS } from './filter.js';
import { V1_CONTROLLERS } from './types.js';

const absolutePath = z.string().regex(/^\//, 'must be an absolute path');
const cgroupRelativePath = z.string().regex(/^\//, 'must start with / (a path relative to the hierarchy root)');

const filterRuleSchema = z
  .strictObject({
    field: z.string().refine((f) => normalizeFilterField(f) !== undefined, {
      message: `unknown field (expected one of ${FILTER_FIELDS.join(', ')}, optionally prefixed container_)`,
    }),
    pattern: regexSchema,
  });

export const containerFilterSchema = z
  .strictObject({
    included: z.array(filterRuleSchema).default([]),
    excluded: z.array(filterRuleSchema).default([]),
  })
  .prefault({});

export const containersConfigSchema = z
  .strictObject({
    /** v2 mount point; 'auto' = the cgroup2 mount in /proc/self/mountinfo. */
    v2Mount: z.union([z.literal('auto'), absolutePath]).default('auto'),
    /** v1 controller directories; 'auto' = from /proc/self/mountinfo (handles co-mounts). */
    v1Mounts: z
      .union([z.literal('auto'), z.partialRecord(z.enum(V1_CONTROLLERS), absolutePath)])
      .default('auto'),
    /** Which v1 hierarchies to scan and record (the others are ignored). */
    v1Controllers: z.array(z.enum(V1_CONTROLLERS)).default([...V1_CONTROLLERS]),
    /** Sub-trees searched for runtime-named containers (docker, containerd, crio, kubepods). */
    scanRoots: z.array(cgroupRelativePath).default(['/']),
    /** Sub-trees whose direct children are containers of type "cgroup", whatever their names. */
    plainRoots: z.array(cgroupRelativePath).default([]),
    /** Directory levels below a root that are searched (kubepods systemd form needs 4). */
    maxDepth: z.number().int().min(1).max(32).default(8),
    /** docker's data root: its containers/<id>/hostname file gives the container hostname. */
    dockerDataRoot: absolutePath.default('/var/lib/docker'),
    /** containerd's runtime v2 task state: <namespace>/<id>/config.json (OCI spec with the CRI annotations). */
    containerdTaskRoot: absolutePath.default('/run/containerd/io.containerd.runtime.v2.task'),
    /** CRI-O's container storage: <id>/userdata/config.json (OCI spec with the Kubernetes annotations). */
    crioContainersRoot: absolutePath.default('/var/lib/containers/storage/overlay-containers'),
    /** The kubelet's pod directories: <pod uid>/etc-hosts (pod name) and the token volume's namespace file. */
    kubeletPodsRoot: absolutePath.default('/var/lib/kubelet/pods'),
    filter: containerFilterSchema,
  })
  .prefault({});

export type ContainersConfig = z.infer<typeof containersConfigSchema>;
export type ContainersConfigInput = z.input<typeof containersConfigSchema>;
