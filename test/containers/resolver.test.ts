// The resolver on real cgroups: runtime-named and plain directories created under a test
// root in the v2 hierarchy and in the v1 cpu, cpuacct, cpuset and memory hierarchies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpfObjectDir, repoRoot } from '../../src/paths.js';
import { createContainerResolver } from '../../src/containers/create.js';
import type { ContainerResolver } from '../../src/containers/resolver.js';
import { isContainerGone } from '../../src/containers/errors.js';
import type { Container } from '../../src/containers/types.js';
import { CgroupTree, V2_MOUNT } from './cgroup-tree.js';
import { spawnWorkload, waitFor, type Workload } from '../support/host.js';
import { BpfObject } from '../../src/native/index.js';

const hex = (c: string) => c.repeat(64);
const UID_B = '11111111-2222-3333-4444-555555555555';
const UID_E = '66666666-7777-8888-9999-aaaaaaaaaaaa';
const UID_G = 'bbbbbbbb-cccc-dddd-eeee-ffffffffffff';
const UID_S = '01234567-89ab-cdef-0123-456789abcdef';

// relative path under the tree root → what the resolver must say about it
const expected: Array<{ rel: string; id: string; type: string; qos?: string; podUid?: string }> = [
  { rel: `docker/${hex('1')}`, id: hex('1'), type: 'docker' },
  { rel: `system.slice/docker-${hex('2')}.scope`, id: hex('2'), type: 'docker' },
  { rel: `system.slice/cri-containerd-${hex('3')}.scope`, id: hex('3'), type: 'containerd' },
  { rel: `crio-${hex('4')}`, id: hex('4'), type: 'crio' },
  { rel: `kubepods/burstable/pod${UID_B}/${hex('5')}`, id: hex('5'), type: 'kubepods', qos: 'burstable', podUid: UID_B },
  { rel: `kubepods/besteffort/pod${UID_E}/${hex('6')}`, id: hex('6'), type: 'kubepods', qos: 'besteffort', podUid: UID_E },
  { rel: `kubepods/pod${UID_G}/${hex('7')}`, id: hex('7'), type: 'kubepods', qos: 'guaranteed', podUid: UID_G },
  {
    rel: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_S.replaceAll('-', '_')}.slice/cri-containerd-${hex('8')}.scope`,
    id: hex('8'),
    type: 'containerd',
    qos: 'burstable',
    podUid: UID_S,
  },
  { rel: 'plain/web', id: 'web', type: 'cgroup' },
  { rel: 'plain/db', id: 'db', type: 'cgroup' },
];
// Directories that are not containers: a service, a pod level, a sub-cgroup of a container.
const others = ['system.slice/ssh.service', `kubepods/burstable/pod${UID_B}`, 'plain/web/worker'];
const HIERARCHIES = ['cpu', 'cpuacct', 'cpuset', 'memory'] as const;

describe('ContainerResolver on real cgroups', () => {
  const tree = new CgroupTree('resolver');
  const workloads: Workload[] = [];
  const objects: BpfObject[] = [];
  let resolver: ContainerResolver;
  const get = (id: string): Container => {
    const c = resolver.byId(id);
    assert.ok(c, `container ${id} resolved`);
    return c;
  };

  before(async () => {
    await tree.remove(); // leftovers of an aborted earlier run
    for (const e of expected) tree.create(e.rel);
    for (const rel of others) tree.create(rel);
    resolver = createContainerResolver({ scanRoots: [tree.root], plainRoots: [`${tree.root}/plain`] });
  });

  after(async () => {
    for (const o of objects.splice(0)) o.close();
    for (const w of workloads) await w.kill();
    const failures = await tree.remove();
    assert.deepEqual(failures, [], 'every test cgroup removed');
  });

  it('finds exactly the containers, with ids, types, QoS and pod UIDs', () => {
    const found = resolver.list().map((c) => ({ id: c.id, type: c.type, qos: c.qos, podUid: c.podUid, name: c.name }));
    assert.equal(found.length, expected.length, JSON.stringify(found.map((f) => f.name)));
    for (const e of expected) {
      const c = get(e.id);
      assert.equal(c.type, e.type, e.rel);
      assert.equal(c.qos, e.qos, e.rel);
      assert.equal(c.podUid, e.podUid, e.rel);
      assert.equal(c.name, `${tree.root}/${e.rel}`);
    }
    assert.deepEqual(resolver.duplicates(), []);
  });

  it('records v2 and v1 directories whose inodes are the ids BPF reports', () => {
    for (const e of expected) {
      const c = get(e.id);
      assert.equal(c.v2Path, join(V2_MOUNT, tree.root, e.rel));
      assert.equal(c.v2Id, statSync(c.v2Path, { bigint: true }).ino);
      assert.equal(resolver.byCgroupId(c.v2Id), c);
      for (const h of HIERARCHIES) {
        const dir = join('/sys/fs/cgroup', h, tree.root, e.rel);
        assert.equal(c.v1Paths[h], dir);
        const ino = statSync(dir, { bigint: true }).ino;
        assert.equal(c.v1Ids[h], ino);
        assert.equal(resolver.byV1Id(h, ino), c);
        assert.equal(resolver.byV1Id(resolver.hierarchyId(h) ?? -1, ino), c);
      }
      assert.equal(c.v1Paths.blkio, undefined, 'not created in blkio');
    }
    // Ids are per hierarchy: the cpu inode looked up in the memory hierarchy is not this container.
    const web = get('web');
    const cpuIno = web.v1Ids.cpu;
    assert.ok(cpuIno !== undefined);
    assert.notEqual(resolver.byV1Id('memory', cpuIno), web);
  });

  it('maps a sub-cgroup of a container to the container', () => {
    const sub = statSync(join(V2_MOUNT, tree.root, 'plain/web/worker'), { bigint: true }).ino;
    assert.equal(resolver.byCgroupId(sub)?.id, 'web');
    assert.equal(resolver.byCgroupId(statSync(join(V2_MOUNT, tree.root, 'system.slice/ssh.service'), { bigint: true }).ino), undefined);
  });

  it('ofPid resolves a process moved into a container (and into its sub-cgroup)', async () => {
    const sleeper = spawnWorkload('sleep', ['60']);
    workloads.push(sleeper);
    assert.equal(resolver.ofPid(sleeper.pid), undefined, 'not in a container yet');
    const burstable = expected[4]!;
    tree.moveIn(sleeper.pid, burstable.rel);
    assert.equal(resolver.ofPid(sleeper.pid)?.id, burstable.id);
    assert.deepEqual(resolver.tasks(get(burstable.id)).pids, [sleeper.pid]);
    tree.moveIn(sleeper.pid, 'plain/web/worker');
    assert.equal(resolver.ofPid(sleeper.pid)?.id, 'web');
    await sleeper.kill();
    assert.equal(resolver.ofPid(sleeper.pid), undefined, 'an exited process is in no container');
  });

  it('v1 ids from bpf_task_get_cgroup1 and the v2 id resolve to the container the task is in', async () => {
    const target = expected[7]!; // the systemd-slice kubepods form, the deepest path
    // The fixture program is compiled here, like scripts/build.mjs does, because the build
    // only compiles src/native/bpf.
    const out = mkdtempSync(join(tmpdir(), 'autotracer-cg1-'));
    try {
      const obj = join(out, 'cgroup1_ids.bpf.o');
      const cc = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wall', '-Werror', `-I${bpfObjectDir}`,
        '-c', join(repoRoot, 'test/fixtures/containers/cgroup1_ids.bpf.c'), '-o', obj], { encoding: 'utf8' });
      assert.equal(cc.status, 0, `clang: ${cc.stderr}`);
      const sh = spawnWorkload('sh', ['-c', 'read line; exec /bin/sleep 30'], { stdio: ['pipe', 'ignore', 'ignore'] });
      workloads.push(sh);
      tree.moveIn(sh.pid, target.rel);
      const hierarchyIds = Buffer.alloc(4 * HIERARCHIES.length);
      HIERARCHIES.forEach((h, i) => hierarchyIds.writeInt32LE(resolver.hierarchyId(h) ?? 0, i * 4));
      const bpf = BpfObject.open(obj, { rodata: { target_tgid: sh.pid, hierarchy_ids: hierarchyIds } });
      objects.push(bpf);
      bpf.attach();
      sh.child.stdin?.write('go\n');
      const slot = (i: number): bigint => {
        const key = Buffer.alloc(4);
        key.writeUInt32LE(i);
        return bpf.map('ids').lookup(key)?.readBigUInt64LE(0) ?? 0n;
      };
      const v2 = await waitFor(() => slot(HIERARCHIES.length), { timeoutMs: 5000, what: 'the exec inside the container' });
      assert.equal(resolver.byCgroupId(v2)?.id, target.id);
      HIERARCHIES.forEach((h, i) => {
        const v1 = slot(i);
        assert.equal(v1, get(target.id).v1Ids[h], `${h}: bpf_task_get_cgroup1 id = inode of the v1 directory`);
        assert.equal(resolver.byV1Id(resolver.hierarchyId(h) ?? -1, v1)?.id, target.id, h);
      });
      for (const o of objects.splice(0)) o.close();
      await sh.kill();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('applies include/exclude filters to list()', () => {
    const filtered = createContainerResolver({
      scanRoots: [tree.root],
      plainRoots: [`${tree.root}/plain`],
      filter: { included: [{ field: 'qos', pattern: '^(burstable|besteffort)$' }], excluded: [{ field: 'type', pattern: 'containerd' }] },
    });
    assert.deepEqual(filtered.list().map((c) => c.id).sort(), [hex('5'), hex('6')]);
    assert.equal(filtered.list({ all: true }).length, expected.length, 'filters do not hide containers from lookups');
    const excluded = filtered.byId(hex('8'));
    assert.ok(excluded);
    assert.equal(filtered.isSelected(excluded), false);
  });

  it('refresh() reports added and removed containers; reading a removed one throws CONTAINER_GONE', async () => {
    assert.deepEqual(resolver.refresh(), { added: [], removed: [] });
    const before = get('web');
    const rel = `docker/${hex('9')}`;
    tree.create(rel);
    const added = resolver.refresh();
    assert.deepEqual(added.added.map((c) => c.id), [hex('9')]);
    assert.deepEqual(added.removed, []);
    assert.equal(get('web'), before, 'unchanged containers keep their record');
    const gone = get(hex('9'));
    assert.ok(resolver.cpuUsage(gone).totalUs >= 0);

    assert.deepEqual(await tree.remove(rel), []);
    for (const read of [
      () => resolver.cpuUsage(gone),
      () => resolver.cpuUsage(gone, { source: 'v2' }),
      () => resolver.cpuCapacity(gone),
      () => resolver.throttling(gone),
      () => resolver.tasks(gone),
      () => resolver.pressure(gone),
    ]) {
      assert.throws(read, (err: unknown) => isContainerGone(err) && err.containerId === hex('9'));
    }
    const removed = resolver.refresh();
    assert.deepEqual(removed.added, []);
    assert.deepEqual(removed.removed.map((c) => c.id), [hex('9')]);
    assert.equal(resolver.byId(hex('9')), undefined);
    assert.equal(resolver.byCgroupId(gone.v2Id ?? 0n), undefined);
  });

  it('asks a metadata provider once per new container; a recreated cgroup is a new container', async () => {
    const asked: string[] = [];
    const withMetadata = createContainerResolver(
      { scanRoots: [tree.root], plainRoots: [`${tree.root}/plain`], filter: { included: [{ field: 'container_host_namespace', pattern: '^prod$' }] } },
      {
        metadata: (c) => {
          asked.push(c.id);
          return c.podUid === UID_B ? { hostname: 'web-0', hostNamespace: 'prod' } : undefined;
        },
      },
    );
    assert.equal(asked.length, expected.length);
    const burstable = withMetadata.byId(hex('5'));
    assert.equal(burstable?.hostname, 'web-0');
    assert.equal(burstable?.hostNamespace, 'prod');
    assert.deepEqual(withMetadata.list().map((c) => c.id), [hex('5')], 'filter on the provider-filled namespace');
    withMetadata.refresh();
    assert.equal(asked.length, expected.length, 'unchanged containers are not asked again');

    const rel = 'plain/db';
    const old = withMetadata.byId('db');
    assert.ok(old?.v2Id !== undefined);
    assert.deepEqual(await tree.remove(rel), []);
    tree.create(rel);
    const { added, removed } = withMetadata.refresh();
    assert.deepEqual(added.map((c) => c.id), ['db']);
    assert.deepEqual(removed, [old]);
    assert.notEqual(withMetadata.byId('db')?.v2Id, old.v2Id, 'new inode');
    assert.equal(withMetadata.byCgroupId(old.v2Id), undefined);
    assert.deepEqual(asked.slice(expected.length), ['db']);
  });
});
