// Child-process entry of a tracer actor (isolation "process": survives native faults).
import { runActor } from './runtime.js';
import { processTransport } from './transport.js';

runActor(processTransport());
