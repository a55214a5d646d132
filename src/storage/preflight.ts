// Checks an LMDB store on disk *before* lmdb maps it. LMDB trusts its file: a data file
// shorter than its meta pages say, or a damaged meta page, makes the first read of a mapped
// page fault (SIGBUS/SIGSEGV), and creating a store on a full filesystem faults the same way.
// A signal kills the whole process with nothing logged, so these cases are caught here and
// turned into coded errors that name the file and the fix (docs/faults.md#storage).
//
// On-disk format (lmdb-js 3.x bundles LMDB 0.9.x "mdb.master3", dependencies/lmdb): pages 0
// and 1 are meta pages. Each starts with a 24-byte page header (pgno u64, txnid u64, pad u16,
// flags u16, lower/upper u32) followed by MDB_meta:
//   +0 magic u32 (0xBEEFC0DE)  +4 version u32 (2)  +8 address  +16 mapsize u64
//   +24 dbs[0] (free DB; its md_pad is the page size, u32)  +72 dbs[1] (main DB)
//   +120 last_pg u64           +128 txnid u64      +136 boot_id
// LMDB uses the meta with the larger txnid; every page up to last_pg must be in the file.
// (Checked against a real file written by this build; lmdb-js here uses neither encryption
// nor a different page layout, test/storage/preflight.test.ts pins it.)
import fs from 'node:fs';
import path from 'node:path';
import { StoreCorruptError, StoreNoSpaceError, StoreUnreadableError } from './errors.js';

export const LMDB_FILE = 'events.mdb';
export const LMDB_LOCK_FILE = `${LMDB_FILE}-lock`;

/**
 * Free space required to open a store for writing when its files must be created. Creating a
 * store writes its meta pages, the lock file (8 KiB) and a first commit; LMDB faults (SIGBUS)
 * when a write to a mapped page cannot be backed. 1 MiB leaves room for those and a few
 * batches. An existing store with its lock file opens without allocating (measured on a full
 * tmpfs: it opens, reads, and its commits fail cleanly with ENOSPC), so it is opened and its
 * writes are handled as a full disk (degraded, held batches): a storage actor restarted while
 * the disk is full must not take the agent down.
 */
export const MIN_FREE_BYTES_AT_START = 1024 * 1024;

const PAGE_HEADER = 24;
const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const META = { magic: 0, version: 4, pageSize: 24, lastPage: 120, txnid: 128, end: 144 } as const;

export interface MetaPage {
  pageSize: number;
  lastPage: number;
  txnid: number;
}

export interface LmdbFileReport {
  file: string;
  sizeBytes: number;
  pageSize: number;
  /** The meta LMDB would use (the larger txnid). */
  lastPage: number;
  txnid: number;
  /** Bytes the meta pages say the file must hold. */
  neededBytes: number;
}

function readMeta(buf: Buffer, offset: number): MetaPage | string {
  const at = offset + PAGE_HEADER;
  if (buf.length < at + META.end) return 'cut short';
  if (buf.readUInt32LE(at + META.magic) !== MAGIC) return 'no LMDB magic';
  const version = buf.readUInt32LE(at + META.version);
  if (version !== DATA_VERSION) return `data format version ${version}, expected ${DATA_VERSION}`;
  const pageSize = buf.readUInt32LE(at + META.pageSize);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `implausible page size ${pageSize}`;
  const lastPage = Number(buf.readBigUInt64LE(at + META.lastPage));
  const txnid = Number(buf.readBigUInt64LE(at + META.txnid));
  return { pageSize, lastPage, txnid };
}

/**
 * Validates an existing events.mdb without mapping it: both meta pages present and sane,
 * and the file at least as long as the newest meta says. Throws STORAGE_CORRUPT (or
 * STORAGE_UNREADABLE when it cannot even be read) naming the file and what to do.
 */
export function inspectLmdbFile(file: string): LmdbFileReport {
  let fd: number;
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new StoreUnreadableError(file, err);
  }
  let head: Buffer;
  try {
    const first = Buffer.alloc(PAGE_HEADER + META.end);
    const n = fs.readSync(fd, first, 0, first.length, 0);
    if (size === 0) throw new StoreCorruptError(file, new Error('the file is empty (0 bytes): LMDB would silently start a new, empty store over it'));
    const meta0 = readMeta(first.subarray(0, n), 0);
    if (typeof meta0 === 'string') throw new StoreCorruptError(file, new Error(`meta page 0: ${meta0}`));
    head = Buffer.alloc(meta0.pageSize + PAGE_HEADER + META.end);
    const m = fs.readSync(fd, head, 0, head.length, 0);
    head = head.subarray(0, m);
  } catch (err) {
    if (err instanceof StoreCorruptError) throw err;
    throw new StoreUnreadableError(file, err);
  } finally {
    fs.closeSync(fd);
  }
  const meta0 = readMeta(head, 0) as MetaPage;
  const meta1 = readMeta(head, meta0.pageSize);
  if (typeof meta1 === 'string') throw new StoreCorruptError(file, new Error(`meta page 1: ${meta1}`));
  if (meta1.pageSize !== meta0.pageSize) throw new StoreCorruptError(file, new Error(`meta pages disagree on the page size (${meta0.pageSize}, ${meta1.pageSize})`));
  const newest = meta1.txnid > meta0.txnid ? meta1 : meta0;
  // The older meta's last page is never beyond the newer one's in a sound file; take the
  // larger anyway, so a damaged txnid cannot hide a short file.
  const lastPage = Math.max(meta0.lastPage, meta1.lastPage);
  const neededBytes = (lastPage + 1) * meta0.pageSize;
  if (size < neededBytes) {
    throw new StoreCorruptError(
      file,
      new Error(`the file is ${size} bytes but its meta page says ${neededBytes} (pages 0..${lastPage} of ${meta0.pageSize} bytes): it was truncated`),
    );
  }
  return { file, sizeBytes: size, pageSize: meta0.pageSize, lastPage: newest.lastPage, txnid: newest.txnid, neededBytes };
}

/** The lock file (LMDB's reader table) must be a regular file we can open, if it exists. */
export function inspectLockFile(file: string, mode: 'r' | 'r+'): boolean {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StoreUnreadableError(file, err);
  }
  if (!st.isFile()) throw new StoreUnreadableError(file, new Error('not a regular file'));
  try {
    fs.closeSync(fs.openSync(file, mode));
  } catch (err) {
    throw new StoreUnreadableError(file, err);
  }
  return true;
}

export interface FreeSpace {
  freeBytes: number;
  totalBytes: number;
}

export function freeSpace(dir: string): FreeSpace | undefined {
  try {
    const s = fs.statfsSync(dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}

/** STORAGE_NO_SPACE when the filesystem of `dir` has less than `neededBytes` free. */
export function assertFreeSpace(dir: string, neededBytes: number): void {
  const free = freeSpace(dir);
  if (free !== undefined && free.freeBytes < neededBytes) throw new StoreNoSpaceError(dir, free.freeBytes, neededBytes);
}

export interface PreflightResult {
  /** Undefined when events.mdb does not exist yet (it will be created). */
  data: LmdbFileReport | undefined;
  lockFile: boolean;
}

/**
 * Everything checked before lmdb opens the store in `dir`. `write`: the agent (it may
 * create files, so free space is checked); otherwise a reader (the CLI's --db), which only
 * creates the lock file when it is missing.
 */
export function preflightStore(dir: string, access: 'write' | 'read'): PreflightResult {
  const file = path.join(dir, LMDB_FILE);
  const exists = fs.existsSync(file);
  const data = exists ? inspectLmdbFile(file) : undefined;
  if (exists && access === 'write') {
    try {
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
    } catch (err) {
      throw new StoreUnreadableError(file, err);
    }
  }
  const lockFile = inspectLockFile(path.join(dir, LMDB_LOCK_FILE), access === 'write' ? 'r+' : 'r');
  // Only creating files needs room up front (see MIN_FREE_BYTES_AT_START).
  if (access === 'write' && (data === undefined || !lockFile)) assertFreeSpace(dir, MIN_FREE_BYTES_AT_START);
  else if (access === 'read' && !lockFile) assertFreeSpace(dir, 64 * 1024);
  return { data, lockFile };
}
