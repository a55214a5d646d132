// The bearer token for state-changing endpoints: from config, else read from a file, else
// generated into that file (0600, created exclusively so two agents cannot race to write
// different tokens). Compared in constant time so response timing does not leak a prefix.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { ensureDirectory } from '../common/ensure-directory.js';
import { dirname } from 'node:path';
import { HttpServerError } from './errors.js';

export interface TokenSource {
  token?: string | undefined;
  tokenFile: string;
  /** Told about a token file other members of its group can read. */
  warn?: (message: string) => void;
}

export async function loadOrCreateToken(source: TokenSource): Promise<string> {
  if (source.token !== undefined) return source.token;
  const existing = await readToken(source.tokenFile, source.warn);
  if (existing !== undefined) return existing;
  const token = randomBytes(32).toString('base64url');
  try {
    ensureDirectory(dirname(source.tokenFile), 0o700);
    await writeFile(source.tokenFile, `${token}\n`, { mode: 0o600, flag: 'wx' });
    // The umask may have narrowed the mode but never widens it; chmod makes 0600 exact.
    await chmod(source.tokenFile, 0o600);
    return token;
  } catch (err) {
    // Lost a race with another agent: use the token it wrote.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const winner = await readToken(source.tokenFile);
      if (winner !== undefined) return winner;
    }
    throw new HttpServerError('HTTP_TOKEN_FILE', `cannot create the API token file ${source.tokenFile}: ${(err as Error).message}`, { cause: err });
  }
}

async function readToken(file: string, warn?: (message: string) => void): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HttpServerError('HTTP_TOKEN_FILE', `cannot read the API token file ${file}: ${(err as Error).message}`, { cause: err });
  }
  checkTokenFileMode(file, (await stat(file)).mode, warn);
  const token = text.trim();
  if (token.length < 16) throw new HttpServerError('HTTP_TOKEN_FILE', `the API token in ${file} is shorter than 16 characters`);
  return token;
}

/**
 * A token any local user can read is no secret: refused (state-changing endpoints answer
 * 503 TOKEN_UNAVAILABLE until the mode is fixed). Group access is allowed, with a warning:
 * a 0640 file with an operators' group is a deliberate way to share the CLI.
 */
export function checkTokenFileMode(file: string, mode: number, warn?: (message: string) => void): void {
  const perms = mode & 0o777;
  const octal = perms.toString(8).padStart(4, '0');
  if ((perms & 0o007) !== 0) {
    throw new HttpServerError('HTTP_TOKEN_FILE', `the API token file ${file} is mode ${octal}: other users can read or change it; run \`chmod 600 ${file}\``);
  }
  if ((perms & 0o070) !== 0) warn?.(`the API token file ${file} is mode ${octal}: members of its group can use the API's state-changing endpoints (chmod 600 if that is not intended)`);
}

/**
 * Constant-time equality. Both sides are hashed first so the comparison length does not
 * depend on the secret (timingSafeEqual throws on a length mismatch, which would leak it).
 */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
