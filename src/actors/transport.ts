// The actor's side of its channel to the supervisor. A worker thread talks over
// parentPort, a forked child over its IPC channel; the runtime sees only this interface.
import { parentPort } from 'node:worker_threads';
import type { FromActor, ToActor } from './protocol.js';

export interface ActorTransport {
  send(msg: FromActor): void;
  /** Sends, waits until the message has left this actor, then exits with `code`. */
  sendThenExit(msg: FromActor | null, code: number): void;
  onMessage(handler: (msg: ToActor) => void): void;
}

export function threadTransport(): ActorTransport {
  const port = parentPort;
  if (port === null) throw new Error('threadTransport() must run inside a worker thread');
  return {
    send: (msg) => port.postMessage(msg),
    // Messages posted before process.exit() in a worker are delivered (measured).
    sendThenExit: (msg, code) => {
      if (msg !== null) port.postMessage(msg);
      process.exit(code);
    },
    onMessage: (handler) => port.on('message', (m: ToActor) => handler(m)),
  };
}

export function processTransport(): ActorTransport {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('processTransport() needs an IPC channel (child_process.fork)');
  // No orphans: Node has no PR_SET_PDEATHSIG, so leave when the supervisor goes away.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (msg) => {
      if (process.connected) send(msg);
    },
    sendThenExit: (msg, code) => {
      if (msg === null || !process.connected) process.exit(code);
      else send(msg, undefined, {}, () => process.exit(code));
    },
    onMessage: (handler) => process.on('message', (m) => handler(m as ToActor)),
  };
}
