// The runtimes' metadata files under test/fixtures/containers/runtimes (docker, containerd,
// CRI-O, the kubelet) and the container ids and pod UID they describe, for the tests that
// point a resolver or the metadata readers at them.
import { join } from 'node:path';
import { repoRoot } from '../../src/paths.js';
import type { RuntimeRoots } from '../../src/containers/metadata.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'containers', 'runtimes');
export const RUNTIME_ROOTS: RuntimeRoots = {
  dockerDataRoot: join(FIXTURES, 'docker'),
  containerdTaskRoot: join(FIXTURES, 'containerd'),
  crioContainersRoot: join(FIXTURES, 'crio'),
  kubeletPodsRoot: join(FIXTURES, 'kubelet', 'pods'),
};
/** docker: --name web, --hostname web-host. */
export const DOCKER_ID = 'aaaaaaaa1f3c9e0b7d2a4c6e8f0b1d3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b';
/** docker under cri-dockerd: container api of pod api-5c8d7 in namespace shop. */
export const K8S_DOCKER_ID = 'b2'.repeat(32);
/** containerd (CRI): container worker of pod worker-0 in namespace batch. */
export const CTRD_ID = 'c3'.repeat(32);
/** CRI-O: container postgres of pod db-1 in namespace data. */
export const CRIO_ID = 'd5'.repeat(32);
/** The kubelet's pod directory: pod worker-0, namespace batch. */
export const POD_UID = '7f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
