// piscina entry point: the pool runs the default export once per task.
import { symbolizeProfile, type SymbolizeJob, type SymbolizeResult } from './symbolize.js';

export default function run(job: SymbolizeJob): SymbolizeResult {
  return symbolizeProfile(job);
}
