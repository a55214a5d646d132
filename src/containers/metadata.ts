// Container metadata read from where the runtimes leave it on disk: the name a user gave the
// container, its UTS hostname, and for Kubernetes the pod name and namespace. The cgroup path
// only tells the runtime and the id; without this an event said container_name = the cgroup
// path and an empty container_hostname. Every reader is best-effort (a missing or unreadable
// file means "not known", never an error): the cgroup path stays the fallback.
//
// Layouts read (roots configurable, defaults in config.ts):
// - docker:      <dockerDataRoot>/containers/<id>/config.v2.json  (Name "/web", Config.Hostname,
//                Config.Labels io.kubernetes.* under cri-dockerd), else .../hostname
// - containerd:  <containerdTaskRoot>/<namespace>/<id>/config.json  (OCI spec: hostname,
//                annotations io.kubernetes.cri.container-name / sandbox-name / sandbox-namespace)
// - CRI-O:       <crioContainersRoot>/<id>/userdata/config.json  (OCI spec: hostname,
//                annotations io.kubernetes.container.name / pod.name / pod.namespace)
// - kubelet:     <kubeletPodsRoot>/<pod uid>/etc-hosts (the pod's hostname on its own line) and
//                volumes/kubernetes.io~projected/<token volume>/namespace
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerIdentity, ContainerMetadata } from './types.js';

export interface RuntimeRoots {
  dockerDataRoot: string;
  containerdTaskRoot: string;
  crioContainersRoot: string;
  kubeletPodsRoot: string;
}

/** Ids and pod UIDs come from cgroup names already parsed as hex / UUIDs; this re-checks before building paths. */
const SAFE_SEGMENT = /^[0-9a-zA-Z_-]+$/;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Keeps only the keys that have a value. */
function defined(m: ContainerMetadata): ContainerMetadata {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as ContainerMetadata;
}

export function dockerMetadata(dataRoot: string, id: string): ContainerMetadata | undefined {
  if (!SAFE_SEGMENT.test(id)) return undefined;
  const dir = join(dataRoot, 'containers', id);
  const config = readJson(join(dir, 'config.v2.json'));
  const hostnameFile = str(readText(join(dir, 'hostname')));
  if (config === undefined) return hostnameFile !== undefined ? { hostname: hostnameFile } : undefined;
  const inner = record(config.Config);
  const labels = record(inner.Labels);
  const k8sName = str(labels['io.kubernetes.container.name']);
  return defined({
    // Docker keeps the name with a leading "/"; under cri-dockerd the label is the real name.
    containerName: k8sName ?? str(config.Name)?.replace(/^\//, ''),
    hostname: str(inner.Hostname) ?? hostnameFile,
    podName: str(labels['io.kubernetes.pod.name']),
    hostNamespace: str(labels['io.kubernetes.pod.namespace']),
  });
}

/** An OCI runtime spec's hostname and Kubernetes annotations (containerd CRI or CRI-O spelling). */
function ociMetadata(spec: Record<string, unknown>): ContainerMetadata {
  const a = record(spec.annotations);
  return defined({
    containerName: str(a['io.kubernetes.cri.container-name']) ?? str(a['io.kubernetes.container.name']),
    hostname: str(spec.hostname),
    podName: str(a['io.kubernetes.cri.sandbox-name']) ?? str(a['io.kubernetes.pod.name']),
    hostNamespace: str(a['io.kubernetes.cri.sandbox-namespace']) ?? str(a['io.kubernetes.pod.namespace']),
  });
}

export function containerdMetadata(taskRoot: string, id: string): ContainerMetadata | undefined {
  if (!SAFE_SEGMENT.test(id)) return undefined;
  let namespaces: string[];
  try {
    namespaces = readdirSync(taskRoot); // k8s.io, moby, default, ...
  } catch {
    return undefined;
  }
  for (const ns of namespaces) {
    const spec = readJson(join(taskRoot, ns, id, 'config.json'));
    if (spec !== undefined) return ociMetadata(spec);
  }
  return undefined;
}

export function crioMetadata(containersRoot: string, id: string): ContainerMetadata | undefined {
  if (!SAFE_SEGMENT.test(id)) return undefined;
  const spec = readJson(join(containersRoot, id, 'userdata', 'config.json'));
  return spec === undefined ? undefined : ociMetadata(spec);
}

const LOCAL_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters']);

/** The pod's name and namespace from the kubelet's pod directory. */
export function kubeletPodMetadata(podsRoot: string, podUid: string): ContainerMetadata | undefined {
  if (!SAFE_SEGMENT.test(podUid)) return undefined;
  const dir = join(podsRoot, podUid);
  // etc-hosts ends with "<pod ip> [<fqdn>] <hostname>"; the hostname is the pod name unless the
  // pod spec sets spec.hostname (then that is what the pod calls itself anyway).
  let podName: string | undefined;
  for (const line of (readText(join(dir, 'etc-hosts')) ?? '').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2 || fields[0]!.startsWith('#')) continue;
    const name = fields[fields.length - 1]!;
    if (!LOCAL_NAMES.has(name)) podName = name;
  }
  // The service-account token volume carries the namespace (kube-api-access-*, or an older token secret).
  let namespace: string | undefined;
  for (const kind of ['kubernetes.io~projected', 'kubernetes.io~secret']) {
    let volumes: string[] = [];
    try {
      volumes = readdirSync(join(dir, 'volumes', kind));
    } catch {
      continue;
    }
    for (const v of volumes.sort()) {
      namespace = str(readText(join(dir, 'volumes', kind, v, 'namespace')));
      if (namespace !== undefined) break;
    }
    if (namespace !== undefined) break;
  }
  if (podName === undefined && namespace === undefined) return undefined;
  return defined({ podName, hostNamespace: namespace });
}

/**
 * Everything the runtimes' files say about one container. The runtime named by the cgroup is
 * asked first; a bare id under kubepods may be docker's, containerd's or CRI-O's, so all three
 * are tried. The kubelet's pod directory fills what the runtime did not say, and a Kubernetes
 * container without its own UTS hostname gets the pod's (it shares the sandbox's).
 */
export function readRuntimeMetadata(identity: ContainerIdentity, roots: RuntimeRoots): ContainerMetadata {
  const readers: Record<string, () => ContainerMetadata | undefined> = {
    docker: () => dockerMetadata(roots.dockerDataRoot, identity.id),
    podman: () => undefined, // podman keeps its state in a database, not in per-container files
    containerd: () => containerdMetadata(roots.containerdTaskRoot, identity.id),
    crio: () => crioMetadata(roots.crioContainersRoot, identity.id),
  };
  const order = identity.type === 'kubepods' ? ['docker', 'containerd', 'crio'] : identity.type in readers ? [identity.type] : [];
  let runtime: ContainerMetadata | undefined;
  for (const name of order) {
    runtime = readers[name]!();
    if (runtime !== undefined) break;
  }
  const pod = identity.podUid !== undefined ? kubeletPodMetadata(roots.kubeletPodsRoot, identity.podUid) : undefined;
  const podName = runtime?.podName ?? pod?.podName;
  return defined({
    containerName: runtime?.containerName,
    hostname: runtime?.hostname ?? podName,
    podName,
    hostNamespace: runtime?.hostNamespace ?? pod?.hostNamespace,
  });
}
