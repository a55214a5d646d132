// One side of the built-in ping-pong of `autotracer cost --ab` (src/cost/pingpong.ts): reads
// one byte from IN, writes it to OUT, LOOPS times; the side started with `first` writes
// first and prints the round trips per second when done. Blocking syscalls only (readSync /
// writeSync on FIFOs), so each round trip is two context switches on a pinned CPU.
//   node pingpong-peer.js IN OUT LOOPS [first]
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const [inPath, outPath, loopsArg, role] = process.argv.slice(2);
const loops = Number(loopsArg);
if (inPath === undefined || outPath === undefined || !Number.isInteger(loops) || loops < 1) {
  process.stderr.write('usage: pingpong-peer.js IN OUT LOOPS [first]\n');
  process.exit(2);
}
const first = role === 'first';
// Opening a FIFO blocks until the other end opens: open in opposite orders on the two sides.
const fdOut = first ? openSync(outPath, 'w') : -1;
const fdIn = openSync(inPath, 'r');
const out = first ? fdOut : openSync(outPath, 'w');
const byte = Buffer.alloc(1);
const t0 = process.hrtime.bigint();
for (let i = 0; i < loops; i++) {
  if (first) {
    writeSync(out, byte);
    if (readSync(fdIn, byte) !== 1) process.exit(3);
  } else {
    if (readSync(fdIn, byte) !== 1) process.exit(3);
    writeSync(out, byte);
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
if (first) process.stdout.write(`${Math.round(loops / seconds)}\n`);
closeSync(fdIn);
closeSync(out);
