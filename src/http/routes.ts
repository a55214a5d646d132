// The route table: a path pattern, the methods it answers, whether it changes state
// (bearer token required), and its handler. Matching is exact on segments; a path that
// matches with the wrong method is a 405 listing the allowed ones.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'PUT' | 'POST';
  /** Segments; ':name' captures one segment. */
  pattern: string;
  /** State-changing endpoints need `Authorization: Bearer <token>`. */
  auth: boolean;
  handler: Handler;
}

export type Match =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[]; pattern: string }
  | { kind: 'not-found' };

export function matchRoute(routes: readonly Route[], method: string, pathname: string): Match {
  const segments = pathname.split('/').filter((s) => s !== '');
  const allowed: string[] = [];
  let pattern = '';
  for (const route of routes) {
    const params = matchSegments(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { kind: 'route', route, params };
    allowed.push(route.method);
    pattern = route.pattern;
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed, pattern } : { kind: 'not-found' };
}

function matchSegments(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter((s) => s !== '');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const seg = segments[i]!;
    if (part.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(seg);
      } catch {
        return undefined;
      }
      params[part.slice(1)] = value;
    } else if (part !== seg) {
      return undefined;
    }
  }
  return params;
}
