// Container metadata from the runtimes' own files (issue #14 item 9): fixtures laid out as
// docker (config.v2.json, hostname), containerd (runtime v2 task bundles), CRI-O
// (overlay-containers/<id>/userdata) and the kubelet (pods/<uid>) leave them; then the real
// resolver over real cgroups named as those runtimes name them, pointed at the fixtures: the
// container gets its runtime name, hostname, pod and namespace, and the waitrate event says
// that name instead of the cgroup path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerdMetadata, crioMetadata, dockerMetadata, kubeletPodMetadata, readRuntimeMetadata } from '../../src/containers/metadata.js';
import { createContainerResolver } from '../../src/containers/create.js';
import type { ContainerResolver } from '../../src/containers/index.js';
import { competitorNamer } from '../../src/actors/tracers/waitrate/event.js';
import { CgroupTree } from './cgroup-tree.js';
import { CRIO_ID, CTRD_ID, DOCKER_ID, K8S_DOCKER_ID, POD_UID, RUNTIME_ROOTS } from './runtime-fixtures.js';

const ROOTS = RUNTIME_ROOTS;

describe('runtime metadata readers (fixtures)', () => {
  it('docker: --name and --hostname from config.v2.json; cri-dockerd labels give the pod', () => {
    assert.deepEqual(dockerMetadata(ROOTS.dockerDataRoot, DOCKER_ID), { containerName: 'web', hostname: 'web-host' });
    assert.deepEqual(dockerMetadata(ROOTS.dockerDataRoot, K8S_DOCKER_ID), { containerName: 'api', hostname: 'api-5c8d7', podName: 'api-5c8d7', hostNamespace: 'shop' });
    assert.equal(dockerMetadata(ROOTS.dockerDataRoot, 'f'.repeat(64)), undefined, 'unknown id');
    assert.equal(dockerMetadata(ROOTS.dockerDataRoot, '../containers'), undefined, 'never a path from outside the id');
  });
  it('containerd: the OCI bundle of the container (CRI annotations) in any namespace', () => {
    assert.deepEqual(containerdMetadata(ROOTS.containerdTaskRoot, CTRD_ID), { containerName: 'worker', podName: 'worker-0', hostNamespace: 'batch' });
    assert.equal(containerdMetadata('/nonexistent', CTRD_ID), undefined);
  });
  it('CRI-O: userdata/config.json', () => {
    assert.deepEqual(crioMetadata(ROOTS.crioContainersRoot, CRIO_ID), { containerName: 'postgres', hostname: 'db-1', podName: 'db-1', hostNamespace: 'data' });
  });
  it('kubelet: pod name from etc-hosts, namespace from the token volume', () => {
    assert.deepEqual(kubeletPodMetadata(ROOTS.kubeletPodsRoot, POD_UID), { podName: 'worker-0', hostNamespace: 'batch' });
    assert.equal(kubeletPodMetadata(ROOTS.kubeletPodsRoot, '00000000-0000-0000-0000-000000000000'), undefined);
  });
  it('combines: a Kubernetes container without its own hostname gets the pod name; a bare kubepods id tries every runtime', () => {
    assert.deepEqual(readRuntimeMetadata({ id: CTRD_ID, name: '/x', type: 'containerd', podUid: POD_UID }, ROOTS), { containerName: 'worker', hostname: 'worker-0', podName: 'worker-0', hostNamespace: 'batch' });
    assert.deepEqual(readRuntimeMetadata({ id: CRIO_ID, name: '/x', type: 'kubepods' }, ROOTS), { containerName: 'postgres', hostname: 'db-1', podName: 'db-1', hostNamespace: 'data' });
    assert.deepEqual(readRuntimeMetadata({ id: 'e'.repeat(64), name: '/x', type: 'kubepods', podUid: POD_UID }, ROOTS), { hostname: 'worker-0', podName: 'worker-0', hostNamespace: 'batch' }, 'runtime unknown: the kubelet still names the pod');
    assert.deepEqual(readRuntimeMetadata({ id: 'e'.repeat(64), name: '/x', type: 'docker' }, ROOTS), {}, 'nothing on disk: nothing invented');
  });
});

describe('resolver with runtime metadata (real cgroups)', () => {
  const tree = new CgroupTree('metadata');
  const DOCKER_REL = `docker-${DOCKER_ID}.scope`;
  const POD_REL = `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll('-', '_')}.slice`;
  const CTRD_REL = `${POD_REL}/cri-containerd-${CTRD_ID}.scope`;
  let resolver: ContainerResolver;
  before(() => {
    tree.create(DOCKER_REL);
    tree.create(CTRD_REL);
    resolver = createContainerResolver({ scanRoots: [tree.root], ...ROOTS });
  });
  after(async () => {
    await tree.remove();
  });

  it('fills hostname, runtime name, pod and namespace; the cgroup path stays in `name`', () => {
    const docker = resolver.byId(DOCKER_ID);
    assert.ok(docker, `docker container found: ${resolver.list().map((c) => c.id).join(', ')}`);
    assert.equal(docker.hostname, 'web-host');
    assert.equal(docker.containerName, 'web');
    assert.equal(docker.name, `${tree.root}/${DOCKER_REL}`);
    const worker = resolver.byId(CTRD_ID);
    assert.ok(worker);
    assert.deepEqual([worker.type, worker.qos, worker.podUid], ['containerd', 'burstable', POD_UID]);
    assert.deepEqual([worker.containerName, worker.hostname, worker.podName, worker.hostNamespace], ['worker', 'worker-0', 'worker-0', 'batch']);
    // Filters on hostname / host_namespace now match real values.
    const prodOnly = createContainerResolver({ scanRoots: [tree.root], ...ROOTS, filter: { included: [{ field: 'container_host_namespace', pattern: '^batch$' }] } });
    assert.deepEqual(prodOnly.list().map((c) => c.id), [CTRD_ID]);
  });

  it('waitrate names a competitor container by its runtime name, the cgroup path only as the fallback', () => {
    const docker = resolver.byId(DOCKER_ID)!;
    const name = competitorNamer((id) => resolver.byCgroupId(id), new Map());
    assert.equal(name(docker.v2Id!, 0).name, 'web');
    const plain = createContainerResolver({ scanRoots: [], plainRoots: [tree.root], ...ROOTS });
    const kube = plain.list().find((c) => c.id === 'kubepods.slice');
    assert.ok(kube);
    assert.equal(competitorNamer((id) => plain.byCgroupId(id), new Map())(kube.v2Id!, 0).name, kube.name, 'a plain cgroup: its path');
  });
});
