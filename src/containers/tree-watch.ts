// The cgroup trees as the resolver's scans see them, cached and kept current by inotify
// (issue 16.4: a full rescan of 1000 containers cost ~80 ms of CPU every interval). Every
// directory read is watched; a subdirectory made or removed under it (the only way cgroups
// come and go: mkdir/rmdir, which inotify reports on cgroupfs v1 and v2 alike) drops the
// cached entries below it, has the parent's cached list patched for that one name at the next
// read, and marks the tree changed. Unchanged directories are then not
// read again, and a refresh with no change reads nothing at all. Anything that makes the
// cache untrustworthy (a watch that cannot be added: inotify limits) marks the tree changed
// for good, so the resolver is back to rescanning; it also rescans from scratch on a long
// period (lost events: inotify queue overflow).
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { directFs, type ScanFs } from './scan.js';

export class WatchedTree implements ScanFs {
  private readonly subdirCache = new Map<string, readonly string[]>();
  /**
   * Children made or removed under a directory whose list is cached: the list is patched by
   * looking at just these names at the next read, instead of listing the directory again
   * (a parent of 1000 containers is a 1000-entry readdir per mkdir or rmdir).
   */
  private readonly pendingNames = new Map<string, Set<string>>();
  /** null: known absent (a hybrid host stats each container path in every v1 hierarchy). */
  private readonly inodeCache = new Map<string, bigint | null>();
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directories a scan asked for that did not exist (configured roots not made yet). */
  private readonly absent = new Set<string>();
  private dirty = false;
  private broken = false;

  constructor(private readonly fs: ScanFs = directFs) {}

  /** Whether the trees may differ from what the last scan saw. */
  get changed(): boolean {
    if (this.dirty || this.broken) return true;
    for (const dir of this.absent) {
      if (!existsSync(dir)) continue;
      // A root that was missing appeared: nothing under it was watched, so the paths
      // known absent may exist now.
      for (const [path, ino] of this.inodeCache) if (ino === null) this.inodeCache.delete(path);
      this.dirty = true;
      return true;
    }
    return false;
  }

  /** Call before a scan: changes from now on mark the tree changed again. */
  markScanned(): void {
    this.dirty = false;
    this.absent.clear();
  }

  subdirs(dir: string): readonly string[] | undefined {
    const cached = this.subdirCache.get(dir);
    if (cached !== undefined) {
      const pending = this.pendingNames.get(dir);
      if (pending === undefined) return cached;
      this.pendingNames.delete(dir);
      // A watched directory that is itself removed reports its own name to its own watch:
      // check it is still there before trusting the list (one stat, not a listing).
      if (!this.fs.isDirectory(dir)) {
        this.subdirCache.delete(dir);
        return this.subdirs(dir);
      }
      const names = new Set(cached);
      for (const name of pending) {
        if (this.fs.isDirectory(join(dir, name))) names.add(name);
        else names.delete(name);
      }
      const patched = [...names];
      this.subdirCache.set(dir, patched);
      return patched;
    }
    // Watch before reading: a child made in between is an event, not a miss.
    this.watchDir(dir);
    const names = this.fs.subdirs(dir);
    if (names === undefined) {
      this.unwatch(dir);
      this.absent.add(dir);
      return undefined;
    }
    this.subdirCache.set(dir, names);
    return names;
  }

  isDirectory(path: string): boolean {
    return this.fs.isDirectory(path);
  }

  inode(dir: string): bigint | undefined {
    const cached = this.inodeCache.get(dir);
    if (cached !== undefined) return cached ?? undefined;
    const ino = this.fs.inode(dir);
    // Absence is cached too: the path can only appear by a mkdir under a watched directory
    // (an event drops it) or under a root that was missing (changed drops every absence).
    this.inodeCache.set(dir, ino ?? null);
    return ino;
  }

  /** Forgets everything (the next scan reads every directory again) and drops the watches. */
  reset(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.subdirCache.clear();
    this.pendingNames.clear();
    this.inodeCache.clear();
    this.absent.clear();
    this.broken = false;
    this.dirty = true;
  }

  close(): void {
    this.reset();
  }

  /** Directories watched now (tests, diagnostics). */
  get watchCount(): number {
    return this.watchers.size;
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      // Not persistent: a resolver nobody closes must not keep its process alive.
      const w = watch(dir, { persistent: false }, (event, name) => {
        // 'change' is a file of the cgroup being written (cgroup.events on populate): no new cgroup.
        if (event === 'rename') this.invalidate(dir, name);
      });
      w.on('error', () => {
        this.invalidate(dir, null);
        this.unwatch(dir);
      });
      this.watchers.set(dir, w);
    } catch (err) {
      // ENOENT: it is not there (subdirs() says so). Anything else (ENOSPC: out of inotify
      // watches) means changes can go unseen: rescan every time.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.broken = true;
    }
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  /** `name` under `dir` was made or removed (all of dir's children when unnamed). */
  private invalidate(dir: string, name: string | Buffer | null): void {
    this.dirty = true;
    if (name === null || name.toString().includes('/')) {
      this.subdirCache.delete(dir);
      this.pendingNames.delete(dir);
    } else if (this.subdirCache.has(dir)) {
      const pending = this.pendingNames.get(dir);
      if (pending === undefined) this.pendingNames.set(dir, new Set([name.toString()]));
      else pending.add(name.toString());
    }
    const below = name === null ? `${dir}/` : join(dir, name.toString());
    const under = (path: string): boolean => path === below || path.startsWith(below.endsWith('/') ? below : `${below}/`);
    for (const path of [...this.subdirCache.keys()]) if (under(path)) this.subdirCache.delete(path);
    for (const path of [...this.pendingNames.keys()]) if (under(path)) this.pendingNames.delete(path);
    for (const path of [...this.inodeCache.keys()]) if (under(path)) this.inodeCache.delete(path);
    for (const path of [...this.watchers.keys()]) if (under(path)) this.unwatch(path);
  }
}
