// toContainerRef: the one conversion from a resolved container to the identity an event
// carries (container_id / _hostname / _type / _qos). Real cgroups named as each runtime names
// them, resolved by the real resolver with the runtimes' metadata files from the fixtures:
// docker, containerd under a systemd-slice kubepods tree, a bare kubepods id (cgroupfs form),
// and a plain cgroup under a configured plain root (the fallback, which has neither hostname
// nor QoS).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createContainerResolver } from '../../src/containers/create.js';
import { toContainerRef, type Container, type ContainerResolver } from '../../src/containers/index.js';
import type { ContainerRef } from '../../src/event/index.js';
import { CgroupTree } from './cgroup-tree.js';
import { CTRD_ID, DOCKER_ID, POD_UID, RUNTIME_ROOTS } from './runtime-fixtures.js';

const ROOTS = RUNTIME_ROOTS;
const BARE_ID = 'e'.repeat(64);
const DOCKER_REL = `docker-${DOCKER_ID}.scope`;
const CTRD_REL = `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll('-', '_')}.slice/cri-containerd-${CTRD_ID}.scope`;
const BARE_REL = `kubepods/besteffort/pod${POD_UID}/${BARE_ID}`;
const PLAIN_REL = 'plain/batch-job';

describe('toContainerRef', () => {
  it('keeps id and type, adds qos and hostname only when known, and nothing else', () => {
    const base: Pick<Container, 'id' | 'type'> = { id: 'x', type: 'cgroup' };
    assert.deepEqual(toContainerRef(base), { id: 'x', type: 'cgroup' });
    const ref = toContainerRef({ ...base, type: 'kubepods', qos: 'guaranteed', hostname: 'pod-0' });
    assert.deepEqual(ref, { id: 'x', type: 'kubepods', qos: 'guaranteed', hostname: 'pod-0' });
    assert.equal(JSON.stringify(toContainerRef(base)), '{"id":"x","type":"cgroup"}', 'no undefined-valued keys');
  });

  describe('on containers the resolver finds in real cgroups', () => {
    const tree = new CgroupTree('container-ref');
    let resolver: ContainerResolver;
    const find = (id: string): Container => {
      const c = resolver.byId(id);
      assert.ok(c, `${id} found among ${resolver.list({ all: true }).map((x) => `${x.id} (${x.type})`).join(', ')}`);
      return c;
    };
    before(async () => {
      await tree.remove();
      for (const rel of [DOCKER_REL, CTRD_REL, BARE_REL, PLAIN_REL]) tree.create(rel);
      resolver = createContainerResolver({ scanRoots: [tree.root], plainRoots: [`${tree.root}/plain`], ...ROOTS });
    });
    after(async () => {
      assert.deepEqual(await tree.remove(), [], 'every test cgroup removed');
    });

    it('docker: the hostname from config.v2.json, no QoS outside kubepods, not the runtime name', () => {
      const c = find(DOCKER_ID);
      assert.equal(c.containerName, 'web', 'the resolver knows the runtime name; the event has no field for it');
      assert.deepEqual(toContainerRef(c), { id: DOCKER_ID, type: 'docker', hostname: 'web-host' } satisfies ContainerRef);
    });
    it('containerd (CRI, systemd-slice kubepods): the QoS from the slice and the pod name as hostname', () => {
      assert.deepEqual(toContainerRef(find(CTRD_ID)), { id: CTRD_ID, type: 'containerd', qos: 'burstable', hostname: 'worker-0' });
    });
    it('a bare kubepods id (cgroupfs form): type kubepods, the QoS from the path, the hostname from the kubelet', () => {
      assert.deepEqual(toContainerRef(find(BARE_ID)), { id: BARE_ID, type: 'kubepods', qos: 'besteffort', hostname: 'worker-0' });
    });
    it('a plain cgroup (the fallback): its path as id, type cgroup, neither hostname nor QoS', () => {
      const plain = resolver.list({ all: true }).find((c) => c.type === 'cgroup');
      assert.ok(plain, 'the plain cgroup is a container');
      assert.equal(plain.id, 'batch-job');
      assert.deepEqual(toContainerRef(plain), { id: 'batch-job', type: 'cgroup' });
    });
  });
});
