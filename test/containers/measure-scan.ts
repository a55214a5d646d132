// Not a test: measures the resolver's scan/refresh and reader costs on a synthetic tree of
// 100 kubepods containers (50 pods × 2) created under the test root, then removes it.
// Run as root: node dist-<x>/test/containers/measure-scan.js
import { createContainerResolver } from '../../src/containers/create.js';
import { CgroupTree } from './cgroup-tree.js';

const PODS = 50;
const PER_POD = 2;

function perCall(label: string, n: number, fn: () => unknown): void {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  console.log(`${label}: ${(((performance.now() - t) / n) * 1000).toFixed(1)} µs`);
}

const tree = new CgroupTree('measure');
try {
  for (let p = 0; p < PODS; p++) {
    for (let c = 0; c < PER_POD; c++) {
      const uid = `${String(p).padStart(8, '0')}-0000-0000-0000-000000000000`;
      tree.create(`kubepods/burstable/pod${uid}/${(p * PER_POD + c).toString(16).padStart(64, '0')}`);
    }
  }
  let t = performance.now();
  const resolver = createContainerResolver({ scanRoots: [tree.root] });
  const first = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 20; i++) resolver.refresh();
  console.log(`${resolver.list().length} containers: first scan ${first.toFixed(1)} ms, refresh ${((performance.now() - t) / 20).toFixed(1)} ms`);
  const c = resolver.list()[0];
  if (c === undefined) throw new Error('no container found');
  perCall('cpuUsage v1', 2000, () => resolver.cpuUsage(c));
  perCall('cpuUsage v2', 2000, () => resolver.cpuUsage(c, { source: 'v2' }));
  perCall('cpuCapacity', 2000, () => resolver.cpuCapacity(c));
  perCall('throttling', 2000, () => resolver.throttling(c));
  perCall('tasks', 2000, () => resolver.tasks(c));
  perCall('pressure', 2000, () => resolver.pressure(c));
  perCall('byCgroupId', 100_000, () => resolver.byCgroupId(c.v2Id ?? 0n));
  await tree.remove();
  t = performance.now();
  const host = createContainerResolver();
  console.log(`whole host, default config: ${host.list({ all: true }).length} containers, scan ${(performance.now() - t).toFixed(1)} ms`);
} finally {
  const failures = await tree.remove();
  if (failures.length > 0) console.error('not removed:', failures);
}
