// Resolves what every client command needs from the global options: the agent's URL, the
// request timeout and (lazily, only for state changes) the API token — with the place
// each came from, so errors can say where to look.
import { readFile } from 'node:fs/promises';
import type { ConfigError } from '../config/errors.js';
import type { AgentConfig } from '../config/schema.js';
import { CliError, usageError } from './errors.js';
import { isLoopbackHost } from '../http/host-check.js';

export const DEFAULT_API = 'http://127.0.0.1:19704';
export const DEFAULT_TOKEN_FILE = '/var/lib/autotracer/api-token';
export const TOKEN_ENV = 'AUTOTRACER_TOKEN';

/** Options on the root command; commander hands them to every subcommand. */
export interface GlobalOptions {
  config?: string;
  api?: string;
  tokenFile?: string;
  timeout?: string;
  /** Send the host's own token (config / default token file) to a non-loopback --api too. */
  sendToken?: boolean;
}

/** A token, or why there is none; `source` is named in 401 hints. */
export interface TokenInfo {
  token: string | undefined;
  source: string;
  problem?: string;
}

export interface ClientContext {
  apiUrl: string;
  /** Where apiUrl came from, for "cannot reach" messages. */
  apiSource: string;
  timeoutMs: number;
  token(): Promise<TokenInfo>;
}

/** Loads --config when given; a bad file is a config error (exit 2) naming the first problem. */
export async function loadConfigOption(file: string | undefined): Promise<AgentConfig | undefined> {
  if (file === undefined) return undefined;
  // Loaded only when a config is given: the schema (zod, every tracer's settings) is the
  // largest part of the CLI's start-up, and --api alone does not need it.
  const { loadAgentConfig } = await import('../config/load.js');
  try {
    return await loadAgentConfig(file);
  } catch (err) {
    throw configCliError(file, err);
  }
}

function isConfigError(err: unknown): err is ConfigError {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('CONFIG_') && Array.isArray((err as { problems?: unknown }).problems);
}

export function configCliError(file: string, err: unknown): Error {
  if (!isConfigError(err)) return err instanceof Error ? err : new Error(String(err));
  const first = err.problems[0];
  const more = err.problems.length - 1;
  const message = first !== undefined ? `${file}: ${first}` : err.message;
  const hint =
    more > 0
      ? `${more} more problem${more > 1 ? 's' : ''}: run \`autotracer check-config ${file}\` to list the first, fix and repeat; every key is in docs/config.md`
      : 'every key, its default and its range: docs/config.md';
  return new CliError('CLI_CONFIG', message, hint, { cause: err });
}

export function parseTimeoutSeconds(raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) throw usageError(`--timeout ${raw}: expected seconds, 0 < n <= 86400`);
  return Math.round(n * 1000);
}

export function normalizeApiUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`--api ${raw}: not a URL`, `e.g. --api ${DEFAULT_API}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--api ${raw}: expected an http:// or https:// URL`);
  return url.toString().replace(/\/+$/, '');
}

/** The URL a client should use for the agent's own listen address (wildcards → loopback). */
export function apiUrlFromConfig(config: AgentConfig): string {
  let host = config.http.host;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::' || host === '[::]') host = '::1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `http://${host}:${config.http.port}`;
}

export async function clientContext(globals: GlobalOptions, defaultTimeoutMs = 30_000): Promise<ClientContext> {
  const config = await loadConfigOption(globals.config);
  let apiUrl: string;
  let apiSource: string;
  if (globals.api !== undefined) {
    apiUrl = normalizeApiUrl(globals.api);
    apiSource = '--api';
  } else if (config !== undefined) {
    if (!config.http.enabled) throw new CliError('CLI_CONFIG', `${globals.config}: http.enabled is false, the agent serves no API`, 'enable it, or use --db <dir> for events/show/flame');
    if (config.http.port === 0) throw usageError(`${globals.config}: http.port is 0 (a random port)`, 'pass --api with the port from the agent log line "http: listening on ..."');
    apiUrl = apiUrlFromConfig(config);
    apiSource = `http.host/http.port of ${globals.config}`;
  } else {
    apiUrl = DEFAULT_API;
    apiSource = 'the default';
  }
  const timeoutMs = parseTimeoutSeconds(globals.timeout, defaultTimeoutMs);
  let cached: Promise<TokenInfo> | undefined;
  return { apiUrl, apiSource, timeoutMs, token: () => (cached ??= resolveToken(globals, config).then((t) => guardHostToken(t, apiUrl, globals))) };
}

/**
 * This host's token (http.token, http.tokenFile, the default file) unlocks this host's agent.
 * It goes to loopback URLs only, unless --send-token: `--api http://elsewhere` must not hand
 * it to whoever answers there. A token named for the call (--token-file, $AUTOTRACER_TOKEN)
 * is sent where the call goes.
 */
export function guardHostToken(token: TokenInfo, apiUrl: string, globals: GlobalOptions): TokenInfo {
  if (token.token === undefined || globals.sendToken === true) return token;
  if (globals.tokenFile !== undefined || token.source === `$${TOKEN_ENV}`) return token;
  const host = new URL(apiUrl).hostname;
  if (isLoopbackHost(host)) return token;
  return { token: undefined, source: token.source, problem: `the ${token.source} was not sent: ${host} is not a loopback address (pass --send-token to send it, or --token-file / $${TOKEN_ENV} with that agent's token)` };
}

/** --token-file, else $AUTOTRACER_TOKEN, else the config's http.token, else its token file. */
export async function resolveToken(globals: GlobalOptions, config: AgentConfig | undefined): Promise<TokenInfo> {
  if (globals.tokenFile !== undefined) return readTokenFile(globals.tokenFile, `--token-file ${globals.tokenFile}`);
  const fromEnv = process.env[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { token: fromEnv.trim(), source: `$${TOKEN_ENV}` };
  if (config?.http.token !== undefined) return { token: config.http.token, source: `http.token of ${globals.config}` };
  const file = config?.http.tokenFile ?? DEFAULT_TOKEN_FILE;
  return readTokenFile(file, `token file ${file}`);
}

async function readTokenFile(file: string, source: string): Promise<TokenInfo> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token === '' ? { token: undefined, source, problem: `${file} is empty` } : { token, source };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? `${file} does not exist (the agent creates it at its first start)`
        : code === 'EACCES' || code === 'EPERM'
          ? `cannot read ${file} (it is mode 0600: run as its owner, usually root, or set $${TOKEN_ENV})`
          : `cannot read ${file}: ${(err as Error).message}`;
    return { token: undefined, source, problem };
  }
}
