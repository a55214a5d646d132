// `autotracer doctor`: can the agent and each of its tracers run on this host, and if not,
// why and what to do. Host checks (privileges, lockdown, BTF, tracefs/bpffs, tracepoints,
// perf_event, cgroups, PSI), agent checks from the config (storage path, Elasticsearch,
// HTTP port), then one verdict per catalog tracer from doctor-requirements.ts, including
// the kernel features each needs as read from BTF (doctor-features.ts).
// `--btf <file>` predicts for another kernel from its BTF (raw, or a vmlinux ELF): only the
// BTF-derived checks run, nothing is loaded, and the host and agent sections are left out.
// Exit code: 0 when every enabled tracer can run and nothing fatal failed; 1 otherwise;
// 2 when the configuration itself is invalid (like `run`).
import { builtinTracers } from '../actors/tracers/catalog.js';
import { ConfigError } from '../config/errors.js';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig, TracerEntryConfig } from '../config/schema.js';
import { elasticsearchCheck, httpPortCheck, storagePathCheck } from './doctor-agent.js';
import {
  bpffsCheck, btfCheck, cgroupChecks, pidNamespaceCheck, stackedBlockDevicesCheck, defaultDoctorEnv, findTracefs, lockdownCheck, perfEventCheck, privilegesCheck, tracefsCheck, tracepointCheck,
  type DoctorEnv,
} from './doctor-host.js';
import { exitCodeOf, renderJson, renderTable, type DoctorReport } from './doctor-report.js';
import { allTracepoints, tracerRequirements, type TracerRequirements } from './doctor-requirements.js';
import { CheckCache, evaluateTracer } from './doctor-tracers.js';
import { KernelBtf } from '../native/btf.js';
import { check, type CheckResult } from './doctor-report.js';

export interface DoctorOptions {
  env?: Partial<DoctorEnv>;
  /** Overrides the requirement lists (tests). */
  requirements?: Readonly<Record<string, TracerRequirements>>;
  /** Tracer names to judge; default: every catalog entry. */
  tracers?: readonly string[];
  /** Predict for another kernel from this BTF file instead of checking this host. */
  kernelBtf?: string;
}

function loadBtf(path: string): { btf: KernelBtf | undefined; check: CheckResult } {
  try {
    const btf = KernelBtf.shared(path);
    return { btf, check: check('host.btf_types', 'kernel BTF readable', 'ok', `${btf.typeCount} types in ${path}`) };
  } catch (err) {
    return { btf: undefined, check: check('host.btf_types', 'kernel BTF readable', 'fail', (err as Error).message, 'point --btf at /sys/kernel/btf/vmlinux of that kernel, or at its vmlinux') };
  }
}

/** `doctor --btf <file>`: the per-tracer verdicts another kernel would get, from its BTF alone. */
function predictReport(config: AgentConfig, options: DoctorOptions, btfPath: string): DoctorReport {
  const env: DoctorEnv = { ...defaultDoctorEnv, ...options.env, btfPath };
  const requirements = options.requirements ?? tracerRequirements;
  const { btf, check: btfRead } = loadBtf(btfPath);
  const facts = { env, tracefs: undefined, cgroupV2: true, cgroupAny: true, perfEvent: perfEventCheck, btf, predict: true };
  const entries = config.tracers as Record<string, TracerEntryConfig>;
  const names = options.tracers ?? Object.keys(builtinTracers);
  const tracers = names.map((name) => evaluateTracer(name, entries[name]?.enabled ?? false, requirements[name], entries[name]?.settings, facts, new CheckCache()));
  const report = { predictedFor: btfPath, host: [{ ...btfRead, fatal: btfRead.status === 'fail' }], agent: [], tracers };
  return { ...report, exitCode: exitCodeOf(report) };
}

export async function doctorReport(config: AgentConfig, options: DoctorOptions = {}): Promise<DoctorReport> {
  if (options.kernelBtf !== undefined) return predictReport(config, options, options.kernelBtf);
  const env: DoctorEnv = { ...defaultDoctorEnv, ...options.env };
  const requirements = options.requirements ?? tracerRequirements;
  const cache = new CheckCache();
  const tracefs = findTracefs(env);

  const cgroups = cgroupChecks(env);
  const { btf, check: btfRead } = loadBtf(env.btfPath);
  const host = [
    privilegesCheck(env),
    pidNamespaceCheck(env),
    lockdownCheck(env),
    btfCheck(env),
    btfRead,
    tracefsCheck(env, tracefs),
    bpffsCheck(env),
    ...allTracepoints(requirements).map((tp) => cache.get(`tracepoint.${tp.join('/')}`, () => tracepointCheck(env, tracefs, tp))),
    cache.get('host.perf_event', perfEventCheck),
    stackedBlockDevicesCheck(env),
    ...cgroups.checks,
  ];
  const agent = [storagePathCheck(config.storage.path), await elasticsearchCheck(config), await httpPortCheck(config)];

  const entries = config.tracers as Record<string, TracerEntryConfig>;
  const names = options.tracers ?? Object.keys(builtinTracers);
  const facts = {
    env,
    tracefs,
    cgroupV2: cgroups.mounts?.v2 !== undefined,
    cgroupAny: cgroups.mounts !== undefined,
    perfEvent: perfEventCheck,
    btf,
    predict: false,
  };
  const tracers = names.map((name) => evaluateTracer(name, entries[name]?.enabled ?? false, requirements[name], entries[name]?.settings, facts, cache));
  const report = { host, agent, tracers };
  return { ...report, exitCode: exitCodeOf(report) };
}

export async function runDoctor(opts: { config?: string; json: boolean; btf?: string }): Promise<number> {
  let config: AgentConfig;
  try {
    config = await loadAgentConfig(opts.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`autotracer: ${err.message}\nhint: fix the file, or check it with: autotracer check-config ${opts.config ?? ''}\n`);
      return 2;
    }
    throw err;
  }
  const report = await doctorReport(config, opts.btf !== undefined ? { kernelBtf: opts.btf } : {});
  process.stdout.write(opts.json ? renderJson(report) : renderTable(report));
  return report.exitCode;
}
