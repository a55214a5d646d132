// `autotracer store check|reset [--db <dir>]`: look at an LMDB store on disk without the
// agent. `check` runs the agent's own pre-open validation (storage/preflight.ts: meta pages
// against the file size, lock file, free space) and, when the file is sound, reads every
// listed record and reports those that cannot be decoded. `reset` moves the store's files
// aside under a timestamped name (never deletes) so the agent starts with an empty store.
// There is no in-place repair: a truncated LMDB file has lost pages that no tool can
// recover; docs/faults.md#storage says what to do with the moved files.
import fs from 'node:fs';
import path from 'node:path';
import type { SkippedRecord } from '../../storage/protocol.js';
import { loadConfigOption, type GlobalOptions } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { writeOut } from '../output.js';

export type StoreAction = 'check' | 'reset';

export interface StoreCheckReport {
  dir: string;
  file: string;
  ok: boolean;
  /** The coded problem (STORAGE_CORRUPT, STORAGE_UNREADABLE, STORAGE_NO_SPACE) when not ok. */
  code?: string;
  message?: string;
  sizeBytes?: number;
  pageSize?: number;
  lastPage?: number;
  txnid?: number;
  lockFile?: boolean;
  freeBytes?: number;
  records?: { readable: number; unreadable: SkippedRecord[] };
}

/** The store directory: --db, else storage.path of --config, else the default path. */
async function storeDir(globals: GlobalOptions, db: string | undefined): Promise<string> {
  if (db !== undefined) {
    // Accept the events.mdb file as well as its directory, like `events --db`.
    return path.basename(db) === 'events.mdb' ? path.dirname(db) : db;
  }
  const config = await loadConfigOption(globals.config);
  const { storageConfigSchema } = await import('../../storage/config.js');
  return (config?.storage ?? storageConfigSchema.parse({})).path;
}

export async function checkStore(dir: string): Promise<StoreCheckReport> {
  const { preflightStore, freeSpace, LMDB_FILE } = await import('../../storage/preflight.js');
  const file = path.join(dir, LMDB_FILE);
  const report: StoreCheckReport = { dir, file, ok: false };
  if (!fs.existsSync(file)) {
    return { ...report, code: 'STORAGE_BAD_PATH', message: `${file} does not exist (the agent creates it on its first start)` };
  }
  try {
    const pre = preflightStore(dir, 'read');
    Object.assign(report, { sizeBytes: pre.data?.sizeBytes, pageSize: pre.data?.pageSize, lastPage: pre.data?.lastPage, txnid: pre.data?.txnid, lockFile: pre.lockFile });
  } catch (err) {
    return { ...report, ...describeError(err) };
  }
  const free = freeSpace(dir);
  if (free !== undefined) report.freeBytes = free.freeBytes;
  // Sound file: read every listed record (lmdb maps it now, which the checks above made safe).
  const { EventStore } = await import('../../storage/store.js');
  try {
    const store = EventStore.open({ path: dir, region: '', fsync: 'os', compressionThresholdBytes: 4096, maxEventsPerBatch: 1, outbox: false, readOnly: true });
    try {
      const unreadable: SkippedRecord[] = [];
      let readable = 0;
      let cursor: string | undefined;
      do {
        const page = store.query({ reverse: false, limit: 10_000, ...(cursor !== undefined ? { cursor } : {}) });
        readable += page.events.length;
        unreadable.push(...(page.skipped ?? []));
        cursor = page.cursor;
      } while (cursor !== undefined);
      report.records = { readable, unreadable };
    } finally {
      await store.close();
    }
  } catch (err) {
    return { ...report, ...describeError(err) };
  }
  report.ok = report.records.unreadable.length === 0;
  if (!report.ok) {
    report.code = 'STORAGE_RECORDS_UNREADABLE';
    report.message = `${report.records.unreadable.length} record(s) cannot be read; listings skip them and count them`;
  }
  return report;
}

function describeError(err: unknown): { code: string; message: string } {
  const code = (err as { code?: unknown })?.code;
  return { code: typeof code === 'string' ? code : 'STORAGE_UNREADABLE', message: err instanceof Error ? err.message : String(err) };
}

function renderCheck(r: StoreCheckReport): string {
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const lines: string[] = [];
  if (r.sizeBytes !== undefined) {
    lines.push(`${r.file}: ${r.sizeBytes} bytes, page size ${r.pageSize}, pages 0..${r.lastPage} in use (transaction ${r.txnid}), lock file ${r.lockFile === true ? 'present' : 'absent'}`);
  }
  if (r.freeBytes !== undefined) lines.push(`filesystem: ${mib(r.freeBytes)} free`);
  if (r.records !== undefined) {
    lines.push(`records: ${r.records.readable} readable, ${r.records.unreadable.length} unreadable`);
    for (const s of r.records.unreadable) lines.push(`  unreadable: seq ${s.seq}${s.tracerId !== undefined ? ` (${s.tracerId})` : ''}: ${s.reason}`);
  }
  lines.push(r.ok ? `ok: ${r.dir}` : `${r.code}: ${r.message}`);
  return `${lines.join('\n')}\n`;
}

/** Moves events.mdb and its lock file aside as <name>.moved-<UTC timestamp>; returns the moves. */
export async function resetStore(dir: string, now = new Date()): Promise<{ from: string; to: string }[]> {
  const { LMDB_FILE, LMDB_LOCK_FILE } = await import('../../storage/preflight.js');
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const moves: { from: string; to: string }[] = [];
  for (const name of [LMDB_FILE, LMDB_LOCK_FILE]) {
    const from = path.join(dir, name);
    if (!fs.existsSync(from)) continue;
    let to = path.join(dir, `${name}.moved-${stamp}`);
    for (let n = 1; fs.existsSync(to); n++) to = path.join(dir, `${name}.moved-${stamp}-${n}`);
    try {
      fs.renameSync(from, to);
    } catch (err) {
      throw new CliError('CLI_IO', `cannot move ${from} aside: ${err instanceof Error ? err.message : String(err)}`, 'run it as the user that owns the store (root for the agent\'s default path)', { cause: err });
    }
    moves.push({ from, to });
  }
  return moves;
}

export async function runStore(globals: GlobalOptions, action: StoreAction, opts: { db?: string; format: 'text' | 'json' }): Promise<number> {
  const dir = await storeDir(globals, opts.db);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new CliError('CLI_USAGE', `--db ${dir}: no such directory`, 'pass the agent\'s storage.path (default /var/lib/autotracer/events)');
  }
  switch (action) {
    case 'check': {
      const report = await checkStore(dir);
      await writeOut(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderCheck(report));
      if (!report.ok && opts.format === 'text' && report.code !== 'STORAGE_BAD_PATH') {
        process.stderr.write(`hint: stop the agent, then \`autotracer store reset --db ${dir}\` moves the store aside (nothing is deleted) and the agent starts with an empty one\n`);
      }
      return report.ok ? ExitCode.ok : ExitCode.failure;
    }
    case 'reset': {
      const moves = await resetStore(dir);
      const out = moves.length === 0 ? `nothing to move: ${dir} holds no store\n` : moves.map((m) => `moved ${m.from} -> ${m.to}\n`).join('');
      await writeOut(opts.format === 'json' ? `${JSON.stringify({ dir, moved: moves }, null, 2)}\n` : out);
      return ExitCode.ok;
    }
    default: {
      const never: never = action;
      return never;
    }
  }
}
