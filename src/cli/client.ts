// A small HTTP client for the agent's API (docs/http-api.md): the {data} / {error:{code,
// message}} envelopes, the bearer token on state changes, and the translation of every
// failure into a CliError with the exit status and hint the CLI documents.
import type { SkippedRecord } from '../storage/protocol.js';
import { CliError } from './errors.js';
import { TOKEN_ENV, type ClientContext, type TokenInfo } from './context.js';

export interface Envelope<T> {
  data: T;
  cursor?: string;
  /** Event listings: stored records the agent could not read (left out of `data`). */
  skipped?: SkippedRecord[];
}

/** What the caller knows about a 404, so "not found" can say what was not found. */
export interface NotFoundHint {
  /** Replaces the agent's message, e.g. `no tracer named "x"`. */
  hint: string;
  /** Only for this error code (a trigger's 404 may be the tracer or the container). */
  code?: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Overrides the context's timeout (a trigger waits for the capture). */
  timeoutMs?: number;
  notFound?: NotFoundHint;
  /** Statuses that are an answer, not an error (e.g. 503 from /readyz). */
  accept?: readonly number[];
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
}

export class AgentClient {
  constructor(private readonly ctx: ClientContext) {}

  get url(): string {
    return this.ctx.apiUrl;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<Envelope<T> & { status: number }> {
    return this.request<T>('GET', path, options);
  }

  /** PUT/POST with the bearer token; a missing token is reported only if the agent refuses. */
  send<T>(method: 'PUT' | 'POST', path: string, options: RequestOptions = {}): Promise<Envelope<T> & { status: number }> {
    return this.request<T>(method, path, options);
  }

  private async request<T>(method: 'GET' | 'PUT' | 'POST', path: string, options: RequestOptions): Promise<Envelope<T> & { status: number }> {
    const url = new URL(this.ctx.apiUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    let token: TokenInfo | undefined;
    if (method !== 'GET') {
      token = await this.ctx.token();
      if (token.token !== undefined) headers.authorization = `Bearer ${token.token}`;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = options.timeoutMs ?? this.ctx.timeoutMs;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      text = await res.text();
    } catch (err) {
      throw this.networkError(err, timeoutMs);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError('CLI_BAD_RESPONSE', `${this.ctx.apiUrl} answered ${method} ${path} with HTTP ${res.status} and no JSON`, `is ${this.ctx.apiUrl} an autotracer agent? check --api`);
    }
    if (res.ok || options.accept?.includes(res.status) === true) {
      if (typeof parsed !== 'object' || parsed === null || !('data' in parsed)) {
        throw new CliError('CLI_BAD_RESPONSE', `${this.ctx.apiUrl}${path}: the answer has no "data" field`, 'is it an autotracer agent? check --api');
      }
      return { ...(parsed as Envelope<T>), status: res.status };
    }
    const error = (parsed as ErrorBody).error;
    const code = typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`;
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`;
    throw this.httpError(res.status, code, message, options, token);
  }

  private networkError(err: unknown, timeoutMs: number): CliError {
    const name = (err as { name?: unknown })?.name;
    const hintStart = `start it with \`npm start\` (or systemctl start autotracer), or point the CLI at it with --api <url> (now from ${this.ctx.apiSource})`;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new CliError('CLI_UNREACHABLE', `the agent at ${this.ctx.apiUrl} did not answer within ${timeoutMs / 1000} s`, 'it may be busy or stuck; retry with a larger --timeout <seconds>', { cause: err });
    }
    const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
      // The agent was there and dropped the connection: "start it" would be wrong advice.
      return new CliError('CLI_UNREACHABLE', `the agent at ${this.ctx.apiUrl} closed the connection before answering`, 'it may be shutting down or restarting, or at its connection limit; check with `autotracer status` and the agent log', { cause: err });
    }
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused: the agent is not running or listens elsewhere'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'unknown host'
          : typeof cause?.message === 'string'
            ? cause.message
            : err instanceof Error
              ? err.message
              : String(err);
    return new CliError('CLI_UNREACHABLE', `cannot reach the agent at ${this.ctx.apiUrl}: ${why}`, hintStart, { cause: err });
  }

  private httpError(status: number, code: string, message: string, options: RequestOptions, token: TokenInfo | undefined): CliError {
    const what = `${message} (${code})`;
    if (status === 401 || status === 403) {
      const where = token === undefined ? 'no token was sent' : token.token === undefined ? `no token: ${token.problem ?? 'none found'}` : `the token from ${token.source} was refused`;
      return new CliError(
        'CLI_AUTH',
        `the agent refused the request: ${what}`,
        `${where}; the agent's token is in its http.tokenFile (default /var/lib/autotracer/api-token); pass --token-file <file> or set $${TOKEN_ENV}`,
      );
    }
    if (status === 404 && code === 'NOT_FOUND') {
      return new CliError('CLI_BAD_RESPONSE', `${this.ctx.apiUrl} has no such endpoint: ${message}`, 'is it an autotracer agent of this version? check --api');
    }
    if (status === 404) {
      if (code === 'UNKNOWN_CONTAINER') return new CliError('CLI_NOT_FOUND', message, 'pass the id of a container running on this host (e.g. from `docker ps --no-trunc` or `crictl ps`)');
      const hint = options.notFound !== undefined && (options.notFound.code === undefined || options.notFound.code === code) ? options.notFound.hint : undefined;
      return new CliError('CLI_NOT_FOUND', message, hint);
    }
    if (status === 400 || status === 413 || status === 414 || status === 415) return new CliError('CLI_USAGE', `the agent rejected the request: ${what}`);
    if (status === 409) return new CliError('CLI_CONFLICT', what, '`autotracer tracers list` shows each tracer\'s state');
    if (status === 501) return new CliError('CLI_UNAVAILABLE', what);
    if (code === 'SHUTTING_DOWN') return new CliError('CLI_SERVER', what, 'the agent is stopping or restarting; retry once `autotracer status` answers');
    if (code === 'HOST_NOT_ALLOWED') return new CliError('CLI_USAGE', what, 'reach the agent by IP address or localhost, or add this name to its http.allowedHosts');
    if (code === 'TOKEN_UNAVAILABLE') return new CliError('CLI_SERVER', what, 'the agent could not read or create its token file; see its log');
    return new CliError('CLI_SERVER', `the agent failed: ${what}`, 'see the agent log (journalctl -u autotracer) for details');
  }
}
