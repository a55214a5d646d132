// Worker-thread entry of a tracer actor (isolation "thread", the default).
import { runActor } from './runtime.js';
import { threadTransport } from './transport.js';

runActor(threadTransport());
