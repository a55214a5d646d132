// HTTP response headers for a rendered flame graph, shared by the agent's API and anything
// else that serves one (the viewer test serves through them, so the CSP is tested in Chromium).
import { contentTypeOf, type FlameFormat } from './formats.js';

/** The page may run its own inline script and style and load nothing at all. */
export const FLAME_CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

export function flameHeaders(format: FlameFormat, body: string | Buffer): Record<string, string | number> {
  return {
    'content-type': contentTypeOf(format),
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': FLAME_CONTENT_SECURITY_POLICY,
  };
}
