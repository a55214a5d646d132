// HUATUO's Filter semantics (huatuo-autotracing.md §3.2) and config validation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerFilter } from '../../src/containers/filter.js';
import { createContainerResolver } from '../../src/containers/create.js';
import { ContainerResolver } from '../../src/containers/resolver.js';
import { containersConfigSchema } from '../../src/containers/config.js';
import { ContainerFilterError } from '../../src/containers/errors.js';
import { CodedError } from '../../src/common/coded-error.js';
import type { Container } from '../../src/containers/types.js';

function container(id: string, fields: Partial<Container> = {}): Container {
  return { id, name: `/x/${id}`, type: 'kubepods', v1Paths: {}, v1Ids: {}, ...fields };
}
const web = container('web', { hostname: 'web-7d9f', hostNamespace: 'prod', qos: 'guaranteed' });
const batch = container('batch', { hostname: 'batch-1', hostNamespace: 'jobs', qos: 'besteffort' });
const sidecar = container('sidecar', { hostname: 'web-7d9f', hostNamespace: 'kube-system', qos: 'burstable' });
const plain = container('plain', { type: 'cgroup' }); // no hostname/namespace/qos
const all = [web, batch, sidecar, plain];
const pick = (f: ContainerFilter) => all.filter((c) => f.matches(c)).map((c) => c.id);

describe('ContainerFilter', () => {
  it('no rules: every container', () => {
    assert.deepEqual(pick(new ContainerFilter()), ['web', 'batch', 'sidecar', 'plain']);
    assert.deepEqual(pick(new ContainerFilter({ included: [], excluded: [] })), ['web', 'batch', 'sidecar', 'plain']);
  });

  it('excluded only: a blacklist (any rule excludes)', () => {
    const f = new ContainerFilter({
      excluded: [
        { field: 'container_host_namespace', pattern: '^kube-' },
        { field: 'qos', pattern: 'besteffort' },
      ],
    });
    assert.deepEqual(pick(f), ['web', 'plain']);
  });

  it('included only: a whitelist (any rule includes)', () => {
    const f = new ContainerFilter({
      included: [
        { field: 'hostname', pattern: '^web-' },
        { field: 'container_qos', pattern: '^besteffort$' },
      ],
    });
    assert.deepEqual(pick(f), ['web', 'batch', 'sidecar']);
  });

  it('both: must match an included rule and no excluded rule', () => {
    const f = new ContainerFilter({
      included: [{ field: 'hostname', pattern: '^web-' }],
      excluded: [{ field: 'host_namespace', pattern: '^kube-system$' }],
    });
    assert.deepEqual(pick(f), ['web']);
  });

  it('patterns are unanchored searches; a missing field is the empty string', () => {
    assert.deepEqual(pick(new ContainerFilter({ included: [{ field: 'hostname', pattern: '7d' }] })), ['web', 'sidecar']);
    assert.deepEqual(pick(new ContainerFilter({ included: [{ field: 'qos', pattern: '^$' }] })), ['plain']);
    assert.deepEqual(pick(new ContainerFilter({ included: [{ field: 'type', pattern: '^cgroup$' }] })), ['plain']);
    assert.deepEqual(pick(new ContainerFilter({ excluded: [{ field: 'id', pattern: 'at' }] })), ['web', 'sidecar', 'plain']);
    assert.deepEqual(pick(new ContainerFilter({ included: [{ field: 'name', pattern: '/x/b' }] })), ['batch']);
  });

  it('a bad regex fails at construction with a coded error naming the rule', () => {
    assert.throws(
      () => new ContainerFilter({ included: [{ field: 'qos', pattern: 'ok' }], excluded: [{ field: 'hostname', pattern: 'ok' }, { field: 'hostname', pattern: 'web-(' }] }),
      (err: unknown) => {
        assert.ok(err instanceof ContainerFilterError);
        assert.equal(err.code, 'CONTAINER_FILTER_INVALID');
        assert.match(err.rule, /^excluded\[1\]/);
        assert.match(err.message, /web-\(/);
        return true;
      },
    );
  });

  it('an unknown field fails at construction', () => {
    assert.throws(
      () => new ContainerFilter({ included: [{ field: 'container_image', pattern: '.' }] }),
      (err: unknown) => err instanceof CodedError && err.code === 'CONTAINER_FILTER_INVALID' && /included\[0\]/.test(err.message),
    );
  });
});

describe('containersConfigSchema', () => {
  it('defaults: auto mounts, scan from the root, no plain roots, no filter', () => {
    const cfg = containersConfigSchema.parse(undefined);
    assert.equal(cfg.v2Mount, 'auto');
    assert.equal(cfg.v1Mounts, 'auto');
    assert.deepEqual(cfg.scanRoots, ['/']);
    assert.deepEqual(cfg.plainRoots, []);
    assert.deepEqual(cfg.filter, { included: [], excluded: [] });
    assert.deepEqual(cfg.v1Controllers, ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids']);
  });

  it('is strict and rejects a bad regex with its path', () => {
    assert.equal(containersConfigSchema.safeParse({ scanroots: ['/'] }).success, false);
    const r = containersConfigSchema.safeParse({ filter: { excluded: [{ field: 'qos', pattern: '[' }] } });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['filter', 'excluded', 0, 'pattern']);
  });

  it('createContainerResolver reports a bad filter rule as CONTAINER_FILTER_INVALID, other problems as CONTAINER_CONFIG_INVALID', () => {
    assert.throws(
      () => createContainerResolver({ filter: { included: [{ field: 'hostname', pattern: '(' }] } }),
      (err: unknown) => err instanceof CodedError && err.code === 'CONTAINER_FILTER_INVALID' && /included\[0\]/.test(err.message),
    );
    assert.throws(
      () => createContainerResolver({ maxDepth: 0 }),
      (err: unknown) => err instanceof CodedError && err.code === 'CONTAINER_CONFIG_INVALID' && /maxDepth/.test(err.message),
    );
    assert.throws(
      () => createContainerResolver({ scanroots: ['/'] } as never),
      (err: unknown) => err instanceof CodedError && err.code === 'CONTAINER_CONFIG_INVALID' && /scanroots/.test(err.message),
    );
  });

  it('the constructor takes parsed config as is and still compiles the filter (a worker gets no zod check)', () => {
    const parsed = containersConfigSchema.parse({ scanRoots: [], plainRoots: [], maxDepth: 3 });
    const resolver = new ContainerResolver(parsed);
    assert.equal(resolver.config, parsed, 'no re-parse: the very object is kept');
    assert.equal(createContainerResolver({ scanRoots: [], plainRoots: [], maxDepth: 3 }).config.maxDepth, 3);
    // Settings that skipped validation (a hand-built object) still fail on a bad rule, by name.
    assert.throws(
      () => new ContainerResolver({ ...parsed, filter: { included: [], excluded: [{ field: 'qos', pattern: '[' }] } }),
      (err: unknown) => err instanceof ContainerFilterError && err.rule.startsWith('excluded[0]'),
    );
  });
});
