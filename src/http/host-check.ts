// The Host header check (DNS rebinding). A page on evil.example can rebind its own name to
// 127.0.0.1 and then read the agent's GET endpoints from the victim's browser: the browser
// thinks it is talking to evil.example, and sends `Host: evil.example:19704`. Accepting
// only names the agent is really reached by closes that: loopback names, any IP literal
// (a browser sends an IP literal only when the page itself was loaded from that address,
// so the same-origin policy already protects it), the configured listen host, and the
// names listed in http.allowedHosts.
import { isIP } from 'node:net';
import { HttpError } from './errors.js';

export interface HostPolicy {
  /** Lower-case host names (no port) accepted besides loopback and IP literals. */
  readonly names: ReadonlySet<string>;
}

export function hostPolicy(listenHost: string, allowedHosts: readonly string[]): HostPolicy {
  const names = new Set<string>(allowedHosts.map((h) => h.toLowerCase()));
  // A listen address given as a name (e.g. "agent.internal") is a name clients use.
  if (isIP(listenHost) === 0) names.add(listenHost.toLowerCase());
  return { names };
}

/** The host part of a Host header value: "[::1]:80" → "::1", "Example:80" → "example". */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  // One colon: name:port. More than one without brackets is not a valid Host value; keep it
  // whole so it fails the check below rather than being cut into something that passes.
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** localhost, *.localhost, 127.0.0.0/8, ::1 (and the v4-mapped ::ffff:127.x.y.z). */
export function isLoopbackHost(name: string): boolean {
  const h = name.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  // WHATWG URL writes ::ffff:127.0.0.1 as ::ffff:7f00:1 (hex), Node's socket as dotted.
  if (isIP(h) === 6) return h === '::1' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(h) || /^(0{1,4}:){7}0{0,3}1$/.test(h);
  return false;
}

export function isAllowedHost(policy: HostPolicy, header: string | undefined): boolean {
  // HTTP/1.0 clients may omit Host; browsers never do, so a missing header is no rebinding.
  if (header === undefined || header === '') return true;
  const name = hostName(header).replace(/\.$/, '');
  if (isIP(name) !== 0 || isLoopbackHost(name)) return true;
  return policy.names.has(name);
}

export function checkHost(policy: HostPolicy, header: string | undefined): void {
  if (isAllowedHost(policy, header)) return;
  throw new HttpError(
    421,
    'HOST_NOT_ALLOWED',
    `Host "${(header ?? '').slice(0, 100)}" is not a name of this agent; use 127.0.0.1/localhost or an IP address, or add the name to http.allowedHosts`,
    { headers: { connection: 'close' } },
  );
}
