// Where events/show/flame read events: the running agent over HTTP, or — with `--db <dir>`
// — the LMDB environment directly, opened read-only (works while an agent writes it; LMDB
// has one writer and any number of reader processes). Same queries, same documents.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { EventDocument } from '../event/index.js';
import type { EventQuery, SkippedRecord } from '../storage/protocol.js';
import type { EventStore as Store } from '../storage/store.js';
import { AgentClient } from './client.js';
import { clientContext, loadConfigOption, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { listedDocument, type ListingFields } from '../http/event-fields.js';

export interface EventPage {
  events: EventDocument[];
  cursor?: string;
  /** Records of this page that could not be read: left out, reported by the caller. */
  skipped?: SkippedRecord[];
}

export interface EventSource {
  /** For messages: the agent URL or the LMDB directory. */
  readonly where: string;
  /** `summary` (default) leaves bulky tracer_data fields out, as GET /api/v1/events does. */
  query(q: EventQuery, fields?: ListingFields): Promise<EventPage>;
  get(id: string): Promise<EventDocument | undefined>;
  close(): Promise<void>;
}

export async function openEventSource(globals: GlobalOptions, db: string | undefined): Promise<EventSource> {
  if (db !== undefined) return openLmdbSource(globals, db);
  return new HttpEventSource(new AgentClient(await clientContext(globals)));
}

class HttpEventSource implements EventSource {
  constructor(private readonly client: AgentClient) {}

  get where(): string {
    return this.client.url;
  }

  async query(q: EventQuery, fields: ListingFields = 'summary'): Promise<EventPage> {
    const res = await this.client.get<EventDocument[]>('/api/v1/events', {
      query: {
        fields,
        from: q.from,
        to: q.to,
        tracer: q.tracer,
        container: q.containerId,
        limit: q.limit,
        cursor: q.cursor,
        order: q.reverse === false ? 'asc' : 'desc',
      },
    });
    return { events: res.data, ...(res.cursor !== undefined ? { cursor: res.cursor } : {}), ...(res.skipped !== undefined ? { skipped: res.skipped } : {}) };
  }

  async get(id: string): Promise<EventDocument | undefined> {
    try {
      return (await this.client.get<EventDocument>(`/api/v1/events/${encodeURIComponent(id)}`)).data;
    } catch (err) {
      if (err instanceof CliError && err.code === 'CLI_NOT_FOUND') return undefined;
      throw err;
    }
  }

  async close(): Promise<void> {}
}

async function openLmdbSource(globals: GlobalOptions, raw: string): Promise<EventSource> {
  // Accept the environment directory (storage.path) or the events.mdb file inside it.
  const dir = existsSync(raw) && statSync(raw).isFile() && basename(raw) === 'events.mdb' ? dirname(raw) : raw;
  if (!existsSync(dir)) throw new CliError('CLI_USAGE', `--db ${raw}: no such directory`, 'pass the agent\'s storage.path (default /var/lib/autotracer/events)');
  // Loaded only here: the native LMDB binding is not needed to talk HTTP.
  const [{ EventStore, storeOptionsFrom }, { storageConfigSchema }] = await Promise.all([import('../storage/store.js'), import('../storage/config.js')]);
  const config = await loadConfigOption(globals.config);
  const storage = config?.storage ?? storageConfigSchema.parse({});
  let store: Store;
  try {
    store = EventStore.open({ ...storeOptionsFrom(storage), path: dir, readOnly: true });
  } catch (err) {
    throw storeError(raw, err);
  }
  return {
    where: dir,
    query: async (q, fields = 'summary') => {
      try {
        const page = store.query(q);
        return { ...page, events: page.events.map((d) => listedDocument(d, fields)) };
      } catch (err) {
        throw storeError(raw, err);
      }
    },
    get: async (id) => {
      try {
        return store.get(id);
      } catch (err) {
        throw storeError(raw, err);
      }
    },
    close: () => store.close(),
  };
}

function storeError(db: string, err: unknown): Error {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'STORAGE_BAD_PATH':
      return new CliError('CLI_USAGE', `--db ${db}: ${message}`, 'pass the directory that holds events.mdb (the agent\'s storage.path)', { cause: err });
    case 'STORAGE_BAD_CURSOR':
      return new CliError('CLI_USAGE', message, 'pass a cursor printed by an earlier `autotracer events --db` on the same store', { cause: err });
    case 'STORAGE_CORRUPT':
    case 'STORAGE_UNREADABLE':
    case 'STORAGE_NO_SPACE':
      // Found before lmdb mapped the file (storage/preflight.ts): one line, the code first.
      return new CliError('CLI_IO', `--db ${db}: ${code}: ${message}`, `\`autotracer store check --db ${db}\` tells what is wrong; docs/faults.md#storage`, { cause: err });
    default:
      return new CliError('CLI_IO', `--db ${db}: ${message}`, undefined, { cause: err });
  }
}
