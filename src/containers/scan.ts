// One scan of the cgroup trees: which relative paths exist under the configured roots (in
// any hierarchy), which of them are containers, and the inode of every directory that
// belongs to a container (its own and its sub-cgroups'), so BPF ids of tasks sitting in a
// container's sub-cgroup still map to the container.
import { readdirSync, statSync } from 'node:fs';
import { parseContainerPath, pathSegments, type ParsedContainerPath } from './id-parser.js';
import type { CgroupMounts } from './mounts.js';
import { readRuntimeMetadata, type RuntimeRoots } from './metadata.js';
import type { Container, ContainerIdentity, ContainerMetadata, MetadataProvider, V1Controller } from './types.js';

export interface ScanOptions {
  scanRoots: readonly string[];
  plainRoots: readonly string[];
  maxDepth: number;
  v1Controllers: readonly V1Controller[];
  /** Where the runtimes keep their per-container files (metadata.ts). */
  runtimeRoots: RuntimeRoots;
  metadata?: MetadataProvider;
  /** The previous scan's containers by id: unchanged ones are reused as they are. */
  previous?: ReadonlyMap<string, Container>;
  /** Directory reads (default directFs). */
  fs?: ScanFs;
}

export interface ScanResult {
  containers: Container[];
  /** Container cgroup path (mount-relative, e.g. `/docker/<id>`) → container. */
  byPath: Map<string, Container>;
  /** v2 inode of a container directory or any scanned sub-cgroup → container. */
  byV2Id: Map<bigint, Container>;
  /** `${hierarchyId}:${inode}` of v1 directories → container. */
  byV1Id: Map<string, Container>;
  /** Directories that parsed to an id another container already had (kept for diagnosis). */
  duplicates: string[];
}

function joinRel(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/**
 * A mount-relative path under its mount point. Both are normalized here (`rel` is `/` or
 * `/a/b`, built by joinRel from normalized roots and directory names), so plain concatenation
 * gives what path.join would: join's normalization was a third of a 1000-container scan.
 */
function atMount(mountPoint: string, rel: string): string {
  const base = mountPoint.endsWith('/') ? mountPoint.slice(0, -1) : mountPoint;
  return rel === '/' ? base || '/' : base + rel;
}

function normalizeRoot(root: string): string {
  const segments = pathSegments(root);
  return segments.length === 0 ? '/' : `/${segments.join('/')}`;
}

/**
 * How a scan sees the trees: the names of a directory's subdirectories (undefined when it
 * does not exist) and a directory's inode. directFs asks the kernel every time; the
 * resolver passes a cache kept current by inotify (tree-watch.ts).
 */
export interface ScanFs {
  subdirs(dir: string): readonly string[] | undefined;
  inode(dir: string): bigint | undefined;
  /** Whether `path` exists and is a directory (one entry, where subdirs() would list them all). */
  isDirectory(path: string): boolean;
}

export const directFs: ScanFs = {
  subdirs(dir) {
    try {
      return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [e.name] : []));
    } catch {
      return undefined; // absent in this hierarchy, or removed while we walked
    }
  },
  inode(dir) {
    return statSync(dir, { bigint: true, throwIfNoEntry: false })?.ino;
  },
  isDirectory(path) {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  },
};

/**
 * Relative paths of directories under `root` (inclusive) down to maxDepth levels, each with the
 * mount points it was found under (so a scan stats a path only in the hierarchies that have it:
 * a plain root that exists in v2 alone is not looked up in every v1 hierarchy per container).
 */
function walk(fs: ScanFs, mountPoint: string, root: string, maxDepth: number, into: Map<string, Set<string>>): void {
  const visit = (rel: string, depth: number) => {
    const names = fs.subdirs(atMount(mountPoint, rel));
    if (names === undefined) return;
    const where = into.get(rel);
    if (where === undefined) into.set(rel, new Set([mountPoint]));
    else where.add(mountPoint);
    if (depth >= maxDepth) return;
    for (const name of names) visit(joinRel(rel, name), depth + 1);
  };
  visit(root, 0);
}

function isUnder(rel: string, root: string): boolean {
  return root === '/' || rel === root || rel.startsWith(`${root}/`);
}

export function scanContainers(mounts: CgroupMounts, options: ScanOptions): ScanResult {
  const plainRoots = options.plainRoots.map(normalizeRoot);
  const roots = [...new Set([...options.scanRoots.map(normalizeRoot), ...plainRoots])];
  // Co-mounted controllers share a mount point: walk each tree once.
  const v1 = options.v1Controllers.flatMap((c) => {
    const h = mounts.v1.get(c);
    return h === undefined ? [] : [{ controller: c, mountPoint: h.mountPoint, hierarchyId: h.hierarchyId }];
  });
  const mountPoints = new Set<string>([...(mounts.v2 ? [mounts.v2.mountPoint] : []), ...v1.map((h) => h.mountPoint)]);

  const fs = options.fs ?? directFs;
  const found = new Map<string, Set<string>>();
  for (const mountPoint of mountPoints) for (const root of roots) walk(fs, mountPoint, root, options.maxDepth, found);
  // Parents before children, so a sub-cgroup finds its container already built.
  // Depths computed once: splitting inside the comparator cost n log n splits per scan.
  const rels = [...found.keys()];
  const depth = new Map(rels.map((rel) => [rel, pathSegments(rel).length]));
  const ordered = rels.sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : 1));

  const result: ScanResult = { containers: [], byPath: new Map(), byV2Id: new Map(), byV1Id: new Map(), duplicates: [] };
  const ids = new Set<string>();

  const nearestContainer = (rel: string): Container | undefined => {
    const segments = pathSegments(rel);
    for (let n = segments.length; n > 0; n--) {
      const c = result.byPath.get(`/${segments.slice(0, n).join('/')}`);
      if (c !== undefined) return c;
    }
    return undefined;
  };

  /** Where `rel` exists, per hierarchy, with its inode (one stat per hierarchy). */
  const locate = (rel: string): CgroupDirs => {
    const dirs: CgroupDirs = { v1Paths: {}, v1Ids: {} };
    const where = found.get(rel);
    if (mounts.v2 !== undefined && where?.has(mounts.v2.mountPoint) !== false) {
      const dir = atMount(mounts.v2.mountPoint, rel);
      const ino = fs.inode(dir);
      if (ino !== undefined) {
        dirs.v2Path = dir;
        dirs.v2Id = ino;
      }
    }
    for (const h of v1) {
      if (where?.has(h.mountPoint) === false) continue; // the walk did not find it there
      const dir = atMount(h.mountPoint, rel);
      const ino = fs.inode(dir);
      if (ino === undefined) continue;
      dirs.v1Paths[h.controller] = dir;
      dirs.v1Ids[h.controller] = ino;
    }
    return dirs;
  };
  const register = (dirs: CgroupDirs, owner: Container) => {
    if (dirs.v2Id !== undefined) result.byV2Id.set(dirs.v2Id, owner);
    for (const h of v1) {
      const ino = dirs.v1Ids[h.controller];
      if (ino !== undefined) result.byV1Id.set(`${h.hierarchyId}:${ino}`, owner);
    }
  };

  for (const rel of ordered) {
    const plainRoot = plainRoots.find((r) => isUnder(rel, r) && rel !== r);
    let identity: ParsedContainerPath | undefined;
    if (plainRoot !== undefined) {
      // Direct children of a plain root are containers whatever their names; deeper
      // directories are their sub-cgroups.
      if (depth.get(rel) === pathSegments(plainRoot).length + 1) {
        identity = { id: rel.slice(plainRoot === '/' ? 1 : plainRoot.length + 1), type: 'cgroup' };
      }
    } else {
      identity = parseContainerPath(rel);
    }

    if (identity !== undefined && ids.has(identity.id)) {
      // Two plain roots with the same child name: the later one is known by its full path.
      if (identity.type === 'cgroup' && !ids.has(rel)) identity = { ...identity, id: rel };
      else {
        result.duplicates.push(rel);
        identity = undefined;
      }
    }
    if (identity === undefined) {
      const owner = nearestContainer(rel);
      if (owner !== undefined) register(locate(rel), owner);
      continue;
    }

    const dirs = locate(rel);
    if (dirs.v2Path === undefined && Object.keys(dirs.v1Paths).length === 0) continue; // removed meanwhile
    // An unchanged container keeps its record (and its metadata is not asked for again).
    const old = options.previous?.get(identity.id);
    const container = old !== undefined && old.name === rel && sameDirs(old, dirs) ? old : build(identity, rel, dirs, options);
    register(dirs, container);
    ids.add(container.id);
    result.containers.push(container);
    result.byPath.set(rel, container);
  }
  return result;
}

interface CgroupDirs {
  v2Path?: string;
  v2Id?: bigint;
  v1Paths: Partial<Record<V1Controller, string>>;
  v1Ids: Partial<Record<V1Controller, bigint>>;
}

/** Same directories (by inode): a recreated cgroup has new ids, so it is a new container. */
export function sameDirs(a: Pick<Container, 'v2Id' | 'v1Ids'>, b: Pick<Container, 'v2Id' | 'v1Ids'>): boolean {
  if (a.v2Id !== b.v2Id) return false;
  const keys = Object.keys(a.v1Ids) as V1Controller[];
  return keys.length === Object.keys(b.v1Ids).length && keys.every((k) => a.v1Ids[k] === b.v1Ids[k]);
}

function build(identity: ParsedContainerPath, rel: string, dirs: CgroupDirs, options: ScanOptions): Container {
  const draft: { -readonly [K in keyof Container]: Container[K] } = { ...identity, name: rel, ...dirs };
  if (draft.qos === undefined) delete draft.qos;
  if (draft.podUid === undefined) delete draft.podUid;
  const who: ContainerIdentity = { id: draft.id, name: draft.name, type: draft.type, ...(draft.podUid ? { podUid: draft.podUid } : {}) };
  // Plain cgroups have no runtime behind them; a provider (if any) overrides the runtime files.
  const metadata: ContainerMetadata = {
    ...(draft.type !== 'cgroup' ? readRuntimeMetadata(who, options.runtimeRoots) : {}),
    ...options.metadata?.(who),
  };
  if (metadata.hostname !== undefined) draft.hostname = metadata.hostname;
  if (metadata.hostNamespace !== undefined) draft.hostNamespace = metadata.hostNamespace;
  if (metadata.containerName !== undefined) draft.containerName = metadata.containerName;
  if (metadata.podName !== undefined) draft.podName = metadata.podName;
  return draft;
}
