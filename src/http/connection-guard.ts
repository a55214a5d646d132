// Keeps a flood of idle connections from taking the agent's file descriptors. Every
// accepted socket is an fd of the whole agent process: tracers open BPF objects, perf
// buffers and /proc files from the same table, so 20 000 idle loopback connections once
// made a tracer fail with EMFILE. Two limits:
//  - a hard cap (server.maxConnections) well below the fd limit: beyond it Node closes new
//    sockets at accept, so the API can never hold more than that many fds;
//  - before the cap is reached, the oldest *silent* connection (never sent a request) is
//    closed to make room; only when there is none, the oldest keep-alive connection between
//    requests. A flood of silent sockets therefore evicts itself, while a real client, which
//    sends its request right after connecting, gets served, and a client's pooled keep-alive
//    connection is not cut under it (fetch would see a reset). Watch streams and requests in
//    flight are never evicted.
// Idle sockets are also closed by the headers timeout (server.ts checks it every second).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** The soft RLIMIT_NOFILE of this process, from /proc/self/limits; undefined if unknown or unlimited. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (m === null || m[1] === 'unlimited') return undefined;
  return Number(m[1]);
}

/**
 * The connection cap actually used: the configured one, but never more than a quarter of
 * the fd limit, so tracers and storage keep three quarters of the table under any flood.
 */
export function effectiveMaxConnections(configured: number, fdLimit: number | undefined): number {
  if (fdLimit === undefined) return configured;
  return Math.max(8, Math.min(configured, Math.floor(fdLimit / 4)));
}

export interface ConnectionGuardCounters {
  /** Idle connections closed to make room for a new one. */
  evicted: number;
}

export class ConnectionGuard {
  /** Insertion order = idle-since order for idle sockets (re-inserted when they turn idle). */
  private readonly sockets = new Map<Socket, { busy: number; served: boolean }>();
  readonly counters: ConnectionGuardCounters = { evicted: 0 };

  constructor(private readonly server: Server, readonly maxConnections: number) {
    server.maxConnections = maxConnections;
    server.on('connection', (socket: Socket) => this.accepted(socket));
    server.on('request', (req, res) => {
      const entry = this.sockets.get(req.socket);
      if (entry === undefined) return;
      entry.busy++;
      entry.served = true;
      res.once('close', () => {
        entry.busy--;
        if (entry.busy === 0 && this.sockets.has(req.socket)) {
          // Idle again: move to the end (the youngest idle socket).
          this.sockets.delete(req.socket);
          this.sockets.set(req.socket, entry);
        }
      });
    });
  }

  get size(): number {
    return this.sockets.size;
  }

  private accepted(socket: Socket): void {
    this.sockets.set(socket, { busy: 0, served: false });
    socket.once('close', () => this.sockets.delete(socket));
    // Keep one slot free below the hard cap, so the next connection is accepted (and can
    // evict in its turn) instead of being closed at accept by Node.
    if (this.sockets.size >= this.maxConnections) this.evictOldestIdle(socket);
  }

  private evictOldestIdle(except: Socket): void {
    let keepAlive: Socket | undefined;
    for (const [socket, entry] of this.sockets) {
      if (entry.busy > 0 || socket === except) continue;
      if (entry.served) {
        keepAlive ??= socket;
        continue;
      }
      this.evict(socket);
      return;
    }
    if (keepAlive !== undefined) this.evict(keepAlive);
  }

  private evict(socket: Socket): void {
    this.sockets.delete(socket);
    this.counters.evicted++;
    socket.destroy();
  }
}
