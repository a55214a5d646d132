// A tiny private runner for the doctor's entry point (the commander wiring lives in
// main.ts, owned elsewhere): node doctor-runner.js [config] [--json] [--btf=<file>]
import { runDoctor } from '../../src/cli/doctor.js';

const args = process.argv.slice(2);
const config = args.find((a) => !a.startsWith('--'));
const btf = args.find((a) => a.startsWith('--btf='))?.slice('--btf='.length);
process.exitCode = await runDoctor({ ...(config !== undefined ? { config } : {}), json: args.includes('--json'), ...(btf !== undefined ? { btf } : {}) });
