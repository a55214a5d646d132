// A loopback fake Elasticsearch for tests (node:http on 127.0.0.1), written from the ES REST
// specification for the subset autotracer uses (see ecosystem.md §6):
//   GET / (product header), compatible-with header checks, PUT/HEAD/DELETE /<index>,
//   PUT/GET /_index_template/<name>, POST /_bulk and /<index>/_bulk (NDJSON, per-item results,
//   409 on a duplicate `create`), _refresh, _count, a small _search, GET /<index>/_doc/<id>.
// Fault knobs: item-level statuses (e.g. 429), whole-request statuses (429/503), delays, socket
// resets, refused connections (listener closed), 413 above a size limit, mapping errors for
// documents matching a predicate. Response bodies are typed against the client's own types so
// a drift from what @elastic/elasticsearch expects fails to compile.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
// The client's own API types (lib/api/types), re-exported as `estypes`.
import type { estypes } from '@elastic/elasticsearch';

type Source = Record<string, unknown>;

export interface FakeEsFaults {
  /** The next `count` requests (bulk only unless `all`) answer `status` as a whole. */
  failRequests?: { status: number; count: number; all?: boolean };
  /** Item-level status for a `create`/`index` item (e.g. 429 or 503); undefined = normal. */
  itemStatus?: (id: string, source: Source, index: string) => number | undefined;
  /** Documents matching this get a 400 document_parsing_exception (mapping error). */
  mappingErrorWhen?: (source: Source) => boolean;
  /** Delay before answering each request. */
  delayMs?: number;
  /** The next `n` requests get their socket destroyed instead of an answer. */
  resetNextRequests?: number;
  /** The next `n` _bulk requests are processed, then their socket is destroyed (lost response). */
  resetAfterBulkNext?: number;
  /** Bodies larger than this get 413 (ES http.max_content_length). */
  maxContentLength?: number;
}

export interface FakeEsStats {
  requests: number;
  bulkRequests: number;
  bulkItems: number;
  /** `create`/`index` attempts per _id (includes rejected ones). */
  attemptsById: Map<string, number>;
  /** Successful creations per _id: must end at 1 for every id (exactly once). */
  createdById: Map<string, number>;
}

interface IndexState {
  /** Raw JSON sources: parsed only when read back, which keeps the fake fast under load. */
  docs: Map<string, string>;
  mappings: unknown;
}

const COMPAT_RE = /compatible-with=(\d+)/;

export class FakeElasticsearch {
  readonly faults: FakeEsFaults = {};
  readonly stats: FakeEsStats = { requests: 0, bulkRequests: 0, bulkItems: 0, attemptsById: new Map(), createdById: new Map() };
  readonly indices = new Map<string, IndexState>();
  readonly templates = new Map<string, estypes.IndicesPutIndexTemplateRequest | Record<string, unknown>>();
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private listening = false;

  private constructor(private readonly versionNumber: string) {
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.send(res, 500, errorBody('exception', String(err), 500));
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(options: { version?: string; port?: number } = {}): Promise<FakeElasticsearch> {
    const fake = new FakeElasticsearch(options.version ?? '8.15.0');
    fake.port = options.port ?? 0;
    await fake.acceptConnections();
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private get major(): number {
    return Number(this.versionNumber.split('.')[0]);
  }

  /** Starts (again) listening on the same port. */
  async acceptConnections(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  /** Closes the listener and every open socket: clients get ECONNREFUSED / resets. */
  async refuseConnections(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async close(): Promise<void> {
    await this.refuseConnections();
  }

  /** Every stored document id across indices. */
  allIds(): string[] {
    const out: string[] = [];
    // A loop, not push(...keys): spreading >~120k arguments overflows the stack.
    for (const state of this.indices.values()) for (const id of state.docs.keys()) out.push(id);
    return out;
  }

  docCount(): number {
    let n = 0;
    for (const state of this.indices.values()) n += state.docs.size;
    return n;
  }

  getDoc(id: string): Source | undefined {
    for (const state of this.indices.values()) {
      const d = state.docs.get(id);
      if (d !== undefined) return JSON.parse(d) as Source;
    }
    return undefined;
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    this.stats.requests++;
    if (this.faults.delayMs) await new Promise((r) => setTimeout(r, this.faults.delayMs));
    if ((this.faults.resetNextRequests ?? 0) > 0) {
      this.faults.resetNextRequests = (this.faults.resetNextRequests ?? 1) - 1;
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';

    const headerError = this.checkHeaders(req, body.length > 0);
    if (headerError) return this.send(res, 400, headerError);
    if (this.faults.maxContentLength !== undefined && body.length > this.faults.maxContentLength) {
      // Real ES answers 413 with an empty body from the HTTP layer.
      return this.send(res, 413, undefined);
    }
    const isBulk = parts[parts.length - 1] === '_bulk';
    const fail = this.faults.failRequests;
    if (fail && fail.count > 0 && (isBulk || fail.all)) {
      fail.count--;
      const type = fail.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception';
      return this.send(res, fail.status, errorBody(type, `injected whole-request ${fail.status}`, fail.status));
    }

    const first = parts[0];
    if (parts.length === 0) {
      if (method === 'GET' || method === 'HEAD') return this.send(res, 200, this.info());
    } else if (first === '_index_template' && parts[1]) {
      if (method === 'PUT' || method === 'POST') {
        this.templates.set(parts[1], JSON.parse(body.toString('utf8')) as Record<string, unknown>);
        return this.send(res, 200, { acknowledged: true } satisfies estypes.IndicesPutIndexTemplateResponse);
      }
      if (method === 'GET') {
        const t = this.templates.get(parts[1]);
        if (!t) return this.send(res, 404, errorBody('resource_not_found_exception', `index template matching [${parts[1]}] not found`, 404));
        return this.send(res, 200, { index_templates: [{ name: parts[1], index_template: t }] });
      }
    } else if (isBulk) {
      if (method === 'POST' || method === 'PUT') {
        const result = this.bulk(body, parts.length === 2 ? parts[0] : undefined);
        if ((this.faults.resetAfterBulkNext ?? 0) > 0) {
          this.faults.resetAfterBulkNext = (this.faults.resetAfterBulkNext ?? 1) - 1;
          req.socket.destroy();
          return;
        }
        return this.send(res, 200, result, url.searchParams.get('filter_path'));
      }
    } else if (parts[parts.length - 1] === '_refresh') {
      return this.send(res, 200, { _shards: { total: 1, successful: 1, failed: 0 } } satisfies estypes.IndicesRefreshResponse);
    } else if (parts[parts.length - 1] === '_count') {
      const q = parseJson(body) as { query?: Query } | undefined;
      const docs = this.select(parts.length === 2 ? parts[0] : undefined, q?.query);
      return this.send(res, 200, { count: docs.length, _shards: { total: 1, successful: 1, failed: 0 } } satisfies estypes.CountResponse);
    } else if (parts[parts.length - 1] === '_search') {
      return this.send(res, 200, this.search(parts.length === 2 ? parts[0] : undefined, parseJson(body) as SearchBody | undefined));
    } else if (parts.length === 3 && parts[1] === '_doc' && first && !first.startsWith('_')) {
      const doc = this.indices.get(first)?.docs.get(parts[2] as string);
      if (doc === undefined) return this.send(res, 404, { _index: first, _id: parts[2], found: false });
      return this.send(res, 200, { _index: first, _id: parts[2], found: true, _version: 1, _source: JSON.parse(doc) as Source });
    } else if (parts.length === 1 && first && !first.startsWith('_')) {
      if (method === 'HEAD') return this.send(res, this.indices.has(first) ? 200 : 404, undefined);
      if (method === 'PUT') {
        if (this.indices.has(first)) {
          return this.send(res, 400, errorBody('resource_already_exists_exception', `index [${first}] already exists`, 400));
        }
        this.createIndex(first);
        return this.send(res, 200, { acknowledged: true, shards_acknowledged: true, index: first } satisfies estypes.IndicesCreateResponse);
      }
      if (method === 'DELETE') {
        for (const name of this.resolve(first)) this.indices.delete(name);
        return this.send(res, 200, { acknowledged: true });
      }
    }
    return this.send(res, 405, errorBody('illegal_argument_exception', `no handler for ${method} ${url.pathname}`, 405));
  }

  /** Real ES: a compatible-with above the server major, or Accept/Content-Type disagreeing → 400. */
  private checkHeaders(req: http.IncomingMessage, hasBody: boolean): estypes.ErrorResponseBase | undefined {
    const accept = req.headers.accept ?? '';
    const contentType = req.headers['content-type'] ?? '';
    const a = COMPAT_RE.exec(accept)?.[1];
    const c = COMPAT_RE.exec(contentType)?.[1];
    for (const v of [a, c]) {
      if (v !== undefined && (Number(v) > this.major || Number(v) < this.major - 1)) {
        return errorBody(
          'media_type_header_exception',
          `Invalid media-type value on headers [Accept, Content-Type]; Accept version must be either version ${this.major} or ${this.major - 1}, but found ${v}. Accept=${accept}`,
          400,
        );
      }
    }
    if (hasBody && a !== undefined && c !== undefined && a !== c) {
      return errorBody('media_type_header_exception', `Content-Type version must match Accept version: ${contentType} vs ${accept}`, 400);
    }
    if (hasBody && contentType === '') return errorBody('illegal_argument_exception', 'request body is required to have a Content-Type', 400);
    return undefined;
  }

  private info(): estypes.InfoResponse {
    return {
      name: 'fake-node',
      cluster_name: 'fake-cluster',
      cluster_uuid: 'fakeuuid000000000000000',
      version: {
        number: this.versionNumber,
        build_flavor: 'default',
        build_type: 'tar',
        build_hash: '0000000',
        build_date: '2024-01-01T00:00:00.000Z',
        build_snapshot: false,
        lucene_version: '9.11.1',
        minimum_wire_compatibility_version: '7.17.0',
        minimum_index_compatibility_version: '7.0.0',
      },
      tagline: 'You Know, for Search',
    };
  }

  private createIndex(name: string): IndexState {
    let state = this.indices.get(name);
    if (!state) {
      state = { docs: new Map(), mappings: this.templateMappingsFor(name) };
      this.indices.set(name, state);
    }
    return state;
  }

  private templateMappingsFor(index: string): unknown {
    for (const t of this.templates.values()) {
      const patterns = (t as { index_patterns?: string | string[] }).index_patterns;
      const list = typeof patterns === 'string' ? [patterns] : (patterns ?? []);
      if (list.some((p) => wildcard(p).test(index))) return (t as { template?: { mappings?: unknown } }).template?.mappings;
    }
    return undefined;
  }

  private bulk(body: Buffer, defaultIndex: string | undefined): estypes.BulkResponse {
    const started = Date.now();
    this.stats.bulkRequests++;
    const lines = body.toString('utf8').split('\n');
    const items: estypes.BulkResponse['items'] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (!line) continue;
      const action = JSON.parse(line) as Partial<Record<estypes.BulkOperationType, { _index?: string; _id?: string }>>;
      const op = (Object.keys(action)[0] ?? 'index') as estypes.BulkOperationType;
      const meta = action[op] ?? {};
      const index = meta._index ?? defaultIndex ?? '';
      if (op === 'delete') {
        const removed = this.indices.get(index)?.docs.delete(meta._id ?? '') ?? false;
        items.push({ delete: { _index: index, _id: meta._id ?? null, status: removed ? 200 : 404, result: removed ? 'deleted' : 'not_found' } });
        continue;
      }
      const source = lines[++i] ?? 'null';
      this.stats.bulkItems++;
      const id = meta._id ?? `auto-${this.stats.bulkItems}`;
      this.stats.attemptsById.set(id, (this.stats.attemptsById.get(id) ?? 0) + 1);
      const item = this.bulkItem(op, index, id, source);
      if (item.status >= 300) errors = true;
      items.push({ [op]: item });
    }
    return { took: Date.now() - started, errors, items };
  }

  private bulkItem(op: estypes.BulkOperationType, index: string, id: string, raw: string): estypes.BulkResponseItem {
    let parsed: Source | undefined;
    const source = (): Source => (parsed ??= JSON.parse(raw) as Source);
    const injected = this.faults.itemStatus?.(id, source(), index);
    if (injected !== undefined) {
      const type = injected === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception';
      return { _index: index, _id: id, status: injected, error: { type, reason: `injected item status ${injected}` } };
    }
    if (this.faults.mappingErrorWhen?.(source())) {
      return {
        _index: index,
        _id: id,
        status: 400,
        error: {
          type: 'document_parsing_exception',
          reason: '[1:42] failed to parse field [tracer_data.value] of type [long] in document with id \'' + id + '\'',
          caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "not-a-number"' },
        },
      };
    }
    const state = this.createIndex(index);
    const exists = state.docs.has(id);
    if (op === 'create' && exists) {
      return {
        _index: index,
        _id: id,
        status: 409,
        error: {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: version conflict, document already exists (current version [1])`,
          index,
          shard: '0',
          index_uuid: 'fake',
        },
      };
    }
    state.docs.set(id, raw);
    this.stats.createdById.set(id, (this.stats.createdById.get(id) ?? 0) + 1);
    return {
      _index: index,
      _id: id,
      _version: 1,
      result: exists ? 'updated' : 'created',
      _shards: { total: 1, successful: 1, failed: 0 },
      _seq_no: this.stats.bulkItems,
      _primary_term: 1,
      status: exists ? 200 : 201,
    };
  }

  private resolve(pattern: string | undefined): string[] {
    if (pattern === undefined || pattern === '_all' || pattern === '*') return [...this.indices.keys()];
    const res = pattern.split(',').map(wildcard);
    return [...this.indices.keys()].filter((name) => res.some((r) => r.test(name)));
  }

  private select(pattern: string | undefined, query: Query | undefined): { index: string; id: string; source: Source }[] {
    const out: { index: string; id: string; source: Source }[] = [];
    for (const index of this.resolve(pattern)) {
      for (const [id, raw] of this.indices.get(index)?.docs ?? []) {
        const source = JSON.parse(raw) as Source;
        if (matches(query, id, source)) out.push({ index, id, source });
      }
    }
    return out;
  }

  private search(pattern: string | undefined, body: SearchBody | undefined): estypes.SearchResponse<Source> {
    let docs = this.select(pattern, body?.query);
    for (const s of [...normalizeSort(body?.sort)].reverse()) {
      docs = docs.sort((x, y) => compare(x.source[s.field], y.source[s.field]) * (s.order === 'desc' ? -1 : 1));
    }
    const from = body?.from ?? 0;
    const size = body?.size ?? 10;
    return {
      took: 0,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: {
        total: { value: docs.length, relation: 'eq' },
        max_score: null,
        hits: docs.slice(from, from + size).map((d) => ({ _index: d.index, _id: d.id, _score: null, _source: d.source })),
      },
    };
  }

  private send(res: http.ServerResponse, status: number, body: unknown, filterPath?: string | null): void {
    const filtered = filterPath && body !== undefined ? applyFilterPath(body, filterPath.split(',').map((p) => p.trim().split('.'))) : body;
    const json = filtered === undefined ? '' : JSON.stringify(filtered);
    res.writeHead(status, {
      'x-elastic-product': 'Elasticsearch',
      'content-type': `application/vnd.elasticsearch+json;compatible-with=${this.major}`,
      'content-length': Buffer.byteLength(json),
    });
    res.end(json);
  }
}

// ---- a small query language: match_all, term(s), ids, range, bool.filter/must ---------------

type Query = Record<string, unknown>;
interface SearchBody {
  query?: Query;
  size?: number;
  from?: number;
  sort?: unknown;
}

function matches(q: Query | undefined, id: string, source: Source): boolean {
  if (!q || 'match_all' in q) return true;
  if ('bool' in q) {
    const b = q.bool as { filter?: Query | Query[]; must?: Query | Query[]; must_not?: Query | Query[] };
    const all = [...asArray(b.filter), ...asArray(b.must)];
    return all.every((c) => matches(c, id, source)) && !asArray(b.must_not).some((c) => matches(c, id, source));
  }
  if ('ids' in q) return ((q.ids as { values: string[] }).values ?? []).includes(id);
  if ('term' in q) {
    const [[field, v]] = Object.entries(q.term as Record<string, unknown>) as [[string, unknown]];
    const value = typeof v === 'object' && v !== null && 'value' in v ? (v as { value: unknown }).value : v;
    return getField(source, field) === value;
  }
  if ('terms' in q) {
    const [[field, values]] = Object.entries(q.terms as Record<string, unknown[]>) as [[string, unknown[]]];
    return values.includes(getField(source, field));
  }
  if ('range' in q) {
    const [[field, r]] = Object.entries(q.range as Record<string, Record<string, unknown>>) as [[string, Record<string, unknown>]];
    const v = getField(source, field);
    return (
      (r.gte === undefined || compare(v, r.gte) >= 0) &&
      (r.gt === undefined || compare(v, r.gt) > 0) &&
      (r.lte === undefined || compare(v, r.lte) <= 0) &&
      (r.lt === undefined || compare(v, r.lt) < 0)
    );
  }
  throw new Error(`fake-es: unsupported query ${JSON.stringify(q)}`);
}

function getField(source: Source, field: string): unknown {
  let cur: unknown = source;
  for (const part of field.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function normalizeSort(sort: unknown): { field: string; order: 'asc' | 'desc' }[] {
  return asArray(sort as unknown[] | unknown).map((s) => {
    if (typeof s === 'string') return { field: s, order: 'asc' as const };
    const [[field, o]] = Object.entries(s as Record<string, unknown>) as [[string, unknown]];
    const order = typeof o === 'string' ? o : (o as { order?: string }).order;
    return { field, order: order === 'desc' ? 'desc' : 'asc' };
  });
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * ES `filter_path`: keep only the dotted paths given ('*' matches any key); arrays are
 * transparent, as in ES ("items.*.status" walks every element of items).
 */
function applyFilterPath(value: unknown, patterns: string[][]): unknown {
  return pick(value, patterns) ?? {};
}

function pick(v: unknown, pats: string[][]): unknown {
  for (const p of pats) if (p.length === 0) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const y = pick(x, pats);
      if (y !== undefined) out.push(y);
    }
    return out;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const k in v as Record<string, unknown>) {
    let next: string[][] | undefined;
    for (const p of pats) {
      if (p[0] === '*' || p[0] === k) (next ??= []).push(p.slice(1));
    }
    if (!next) continue;
    const picked = pick((v as Record<string, unknown>)[k], next);
    if (picked !== undefined) (out ??= {})[k] = picked;
  }
  return out;
}

function errorBody(type: string, reason: string, status: number): estypes.ErrorResponseBase {
  return { error: { type, reason, root_cause: [{ type, reason }] }, status };
}

function parseJson(body: Buffer): unknown {
  return body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
