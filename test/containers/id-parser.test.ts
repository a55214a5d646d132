// Container recognition from cgroup paths alone (the cAdvisor naming rules).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseContainerPath } from '../../src/containers/id-parser.js';

const A = 'a'.repeat(64);
const B = '0123456789abcdef'.repeat(4);
const UID = '2d9a0e1c-5b3f-4c1e-9a8b-0f1e2d3c4b5a';
const UID_ = UID.replaceAll('-', '_');

describe('parseContainerPath', () => {
  const cases: Array<[string, ReturnType<typeof parseContainerPath>]> = [
    [`/docker/${A}`, { id: A, type: 'docker' }],
    [`/system.slice/docker-${A}.scope`, { id: A, type: 'docker' }],
    [`/system.slice/cri-containerd-${B}.scope`, { id: B, type: 'containerd' }],
    [`/crio-${B}`, { id: B, type: 'crio' }],
    [`/machine.slice/crio-${B}.scope`, { id: B, type: 'crio' }],
    [`/machine.slice/libpod-${B}.scope`, { id: B, type: 'podman' }],
    [`/kubepods/burstable/pod${UID}/${A}`, { id: A, type: 'kubepods', qos: 'burstable', podUid: UID }],
    [`/kubepods/besteffort/pod${UID}/${A}`, { id: A, type: 'kubepods', qos: 'besteffort', podUid: UID }],
    [`/kubepods/pod${UID}/${A}`, { id: A, type: 'kubepods', qos: 'guaranteed', podUid: UID }],
    [
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${B}.scope`,
      { id: B, type: 'containerd', qos: 'burstable', podUid: UID },
    ],
    [
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/docker-${A}.scope`,
      { id: A, type: 'docker', qos: 'besteffort', podUid: UID },
    ],
    [`/kubepods.slice/kubepods-pod${UID_}.slice/crio-${B}.scope`, { id: B, type: 'crio', qos: 'guaranteed', podUid: UID }],
    // Nested under a test root: ancestors above the runtime's own levels do not matter.
    [`/autotracer-test/x/kubepods/besteffort/pod${UID}/${B}`, { id: B, type: 'kubepods', qos: 'besteffort', podUid: UID }],
  ];
  for (const [path, expected] of cases) {
    it(`recognises ${path.replace(/[0-9a-f]{64}/g, '<id>')}`, () => {
      assert.deepEqual(parseContainerPath(path), expected);
    });
  }

  const notContainers = [
    '/',
    '/system.slice',
    '/system.slice/ssh.service',
    `/kubepods/burstable/pod${UID}`,
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`,
    `/machine.slice/crio-conmon-${B}.scope`,
    `/docker/${A.slice(1)}`, // 63 hex
    `/docker/${A.toUpperCase()}`,
    `/system.slice/docker-${A}.service`,
  ];
  for (const path of notContainers) {
    it(`does not take ${path.replace(/[0-9a-fA-F]{63,64}/g, '<hex>')} for a container`, () => {
      assert.equal(parseContainerPath(path), undefined);
    });
  }
});
