// Recognises container cgroups from their path, the way cAdvisor's runtime handlers do:
// the runtime encodes the container id in the last path segment and Kubernetes encodes
// the QoS class and pod UID in the ancestors. Pure string work, no I/O, so it is unit
// tested on paths alone.
import type { ContainerType, QosClass } from './types.js';

export interface ParsedContainerPath {
  id: string;
  type: ContainerType;
  qos?: QosClass;
  podUid?: string;
}

const HEX64 = '[0-9a-f]{64}';

/** Leaf-name forms that name their runtime (systemd cgroup driver and crio's cgroupfs form). */
const LEAF_FORMS: ReadonlyArray<{ re: RegExp; type: ContainerType }> = [
  { re: new RegExp(`^docker-(${HEX64})\\.scope$`), type: 'docker' },
  { re: new RegExp(`^cri-containerd-(${HEX64})\\.scope$`), type: 'containerd' },
  // crio uses `crio-<id>.scope` with systemd and `crio-<id>` with cgroupfs; its
  // `crio-conmon-<id>.scope` monitor does not match because "conmon-" is not hex.
  { re: new RegExp(`^crio-(${HEX64})(?:\\.scope)?$`), type: 'crio' },
  { re: new RegExp(`^libpod-(${HEX64})\\.scope$`), type: 'podman' },
];
const BARE_ID = new RegExp(`^(${HEX64})$`);

/** `kubepods`, `kubepods.slice`, `kubepods-burstable.slice`, `kubepods-pod<uid>.slice`... */
function isKubepodsSegment(segment: string): boolean {
  return segment === 'kubepods' || segment.startsWith('kubepods.') || segment.startsWith('kubepods-');
}

const POD_CGROUPFS = /^pod([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f-]+)$/;
// systemd cannot have '-' inside a slice's own name component, so the kubelet writes the
// pod UID with '_' and we turn it back (cAdvisor does the same).
const POD_SYSTEMD = /^kubepods(?:-(?:burstable|besteffort))?-pod([0-9a-f_]+)\.slice$/;

function qosOf(segments: readonly string[]): QosClass {
  for (const s of segments) {
    if (s === 'burstable' || s === 'kubepods-burstable.slice') return 'burstable';
    if (s === 'besteffort' || s === 'kubepods-besteffort.slice') return 'besteffort';
  }
  // Guaranteed pods sit directly under kubepods, without a QoS level.
  return 'guaranteed';
}

function podUidOf(segments: readonly string[]): string | undefined {
  for (const s of segments) {
    const systemd = POD_SYSTEMD.exec(s);
    if (systemd?.[1] !== undefined) return systemd[1].replaceAll('_', '-');
    const cgroupfs = POD_CGROUPFS.exec(s);
    if (cgroupfs?.[1] !== undefined) return cgroupfs[1];
  }
  return undefined;
}

/** Splits `/a/b/c` (or `a/b/c`) into its non-empty segments. */
export function pathSegments(relPath: string): string[] {
  return relPath.split('/').filter((s) => s !== '');
}

/**
 * The container a cgroup path denotes, or undefined when its last segment is not a
 * container name. `relPath` is relative to the hierarchy root, e.g.
 * `/kubepods/burstable/pod<uid>/<64hex>`.
 */
export function parseContainerPath(relPath: string): ParsedContainerPath | undefined {
  const segments = pathSegments(relPath);
  const leaf = segments.at(-1);
  if (leaf === undefined) return undefined;
  const ancestors = segments.slice(0, -1);
  const kubeIndex = ancestors.findIndex(isKubepodsSegment);
  const k8s = kubeIndex >= 0 ? ancestors.slice(kubeIndex) : undefined;

  let id: string | undefined;
  let type: ContainerType | undefined;
  for (const form of LEAF_FORMS) {
    const m = form.re.exec(leaf);
    if (m?.[1] !== undefined) {
      id = m[1];
      type = form.type;
      break;
    }
  }
  if (id === undefined) {
    const m = BARE_ID.exec(leaf);
    if (m?.[1] === undefined) return undefined;
    id = m[1];
    // A bare id says nothing about its runtime. Under kubepods (cgroupfs driver) it may be
    // docker or containerd; elsewhere cAdvisor's docker handler claims it (`/docker/<id>`).
    type = k8s !== undefined ? 'kubepods' : 'docker';
  }
  const parsed: ParsedContainerPath = { id, type: type ?? 'docker' };
  if (k8s !== undefined) {
    parsed.qos = qosOf(k8s);
    const podUid = podUidOf(k8s);
    if (podUid !== undefined) parsed.podUid = podUid;
  }
  return parsed;
}
