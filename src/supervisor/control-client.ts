// Request/response over an ActorHost: every control call is raced against the actor's
// exit and a timeout, because a call pending on a dead actor never settles otherwise.
import type { SerializedError } from '../common/coded-error.js';
import type { ControlCall, FromActor, ToActor } from '../actors/protocol.js';
import type { ActorHost } from './actor-host.js';
import { SupervisorError } from './errors.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly host: ActorHost<ToActor, FromActor>, private readonly name: string) {
    void host.exited.then((exit) => {
      const err = new SupervisorError('ACTOR_EXITED', `actor "${name}" exited (code ${exit.code}, signal ${exit.signal}) before answering`);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    });
  }

  call(call: ControlCall, timeoutMs: number): Promise<unknown> {
    if (!this.host.alive) return Promise.reject(new SupervisorError('ACTOR_EXITED', `actor "${this.name}" is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SupervisorError('CALL_TIMEOUT', `actor "${this.name}" did not answer ${call.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.host.send({ type: 'call', id, call });
    });
  }

  /** Feed every `reply` message here. */
  settle(msg: { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: SerializedError }): void {
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(remoteError(msg.error));
  }
}

/** Rebuilds a thrown-in-the-actor error on this side, keeping its stable code. */
export function remoteError(e: SerializedError): Error {
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}
