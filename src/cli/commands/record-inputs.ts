// `autotracer record-inputs --out <dir> --seconds N [--interval-ms M]`: copies the host files
// the detectors read into a fixture tree every interval (src/actors/recorded-inputs.ts), so
// an episode seen on a real host (a sys% spike, a memory burst, a disk stall) becomes a replay
// test of the detector.
import { ActorError } from '../../actors/errors.js';
import { recordInputs } from '../../actors/recorded-inputs.js';
import { usageError } from '../errors.js';
import { writeOut } from '../output.js';

export async function runRecordInputs(opts: { out: string; seconds: number; intervalMs: number }): Promise<number> {
  let manifest;
  try {
    manifest = await recordInputs({ out: opts.out, seconds: opts.seconds, intervalMs: opts.intervalMs, onSample: (i) => process.stderr.write(`sample ${i}\r`) });
  } catch (err) {
    if (err instanceof ActorError) throw usageError(err.message, 'record into a new or empty directory, with --seconds > 0 and --interval-ms >= 10');
    throw err;
  }
  await writeOut(`recorded ${manifest.samples} samples every ${manifest.intervalMs} ms of ${manifest.files.join(', ')} into ${opts.out}` +
    `${manifest.missing.length > 0 ? ` (not on this host: ${manifest.missing.join(', ')})` : ''}\n` +
    `replay: recordedSamples('${opts.out}') from src/actors/recorded-inputs.ts gives each sample's procRoot / sysRoot\n`);
  return 0;
}
