// `autotracer doctor` and `autotracer new-tracer <name>` live in ./doctor.ts and
// ./new-tracer.ts (loaded on demand: doctor pulls in the native layer). This file only
// wires them and turns a missing module into one clear error.
import { CliError } from '../errors.js';

interface DoctorModule {
  runDoctor(opts: { config?: string; json: boolean; btf?: string }): Promise<number>;
}

interface NewTracerModule {
  runNewTracer(name: string, opts: { dir?: string; force: boolean }): Promise<number>;
}

async function load<T>(specifier: string, command: string): Promise<T> {
  try {
    // A variable specifier: the module is resolved at run time, relative to this file.
    return (await import(new URL(specifier, import.meta.url).href)) as T;
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    const url = (err as { url?: unknown })?.url;
    if (code === 'ERR_MODULE_NOT_FOUND' && (typeof url !== 'string' || url.endsWith(specifier.slice(2)))) {
      throw new CliError('CLI_UNAVAILABLE', `\`autotracer ${command}\` is not available in this build (${specifier} is missing)`, 'rebuild with `npm run build`', { cause: err });
    }
    throw err;
  }
}

export async function runDoctorCommand(opts: { config?: string; json: boolean; btf?: string }): Promise<number> {
  const mod = await load<DoctorModule>('../doctor.js', 'doctor');
  return mod.runDoctor(opts);
}

export async function runNewTracerCommand(name: string, opts: { dir?: string; force: boolean }): Promise<number> {
  const mod = await load<NewTracerModule>('../new-tracer.js', 'new-tracer');
  return mod.runNewTracer(name, opts);
}
