// `autotracer doctor`: can the agent and each of its tracers run on this host, and if not,
// why and what to do. Host checks (privileges, lockdown, BTF, tracefs/bpffs, tracepoints,
// perf_event, cgroups, PSI), agent checks from the config (storage path, Elasticsearch,
// HTTP port), then one verdict per catalog tracer from doctor-requirements.ts.
// Exit code: 0 when every enabled tracer can run and nothing fatal failed; 1 otherwise;
// 2 when the configuration itself is invalid (like `run`).
import { builtinTracers } from '../actors/tracers/catalog.js';
import { ConfigError } from '../config/errors.js';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig, TracerEntryConfig } from '../config/schema.js';
import { elasticsearchCheck, httpPortCheck, storagePathCheck } from './doctor-agent.js';
import {
  bpffsCheck, btfCheck, cgroupChecks, defaultDoctorEnv, findTracefs, lockdownCheck, perfEventCheck, privilegesCheck, tracefsCheck, tracepointCheck,
  type DoctorEnv,
} from './doctor-host.js';
import { exitCodeOf, renderJson, renderTable, type DoctorReport } from './doctor-report.js';
import { allTracepoints, tracerRequirements, type TracerRequirements } from './doctor-requirements.js';
import { CheckCache, evaluateTracer } from './doctor-tracers.js';

export interface DoctorOptions {
  env?: Partial<DoctorEnv>;
  /** Overrides the requirement lists (tests). */
  requirements?: Readonly<Record<string, TracerRequirements>>;
  /** Tracer names to judge; default: every catalog entry. */
  tracers?: readonly string[];
}

export async function doctorReport(config: AgentConfig, options: DoctorOptions = {}): Promise<DoctorReport> {
  const env: DoctorEnv = { ...defaultDoctorEnv, ...options.env };
  const requirements = options.requirements ?? tracerRequirements;
  const cache = new CheckCache();
  const tracefs = findTracefs(env);

  const cgroups = cgroupChecks(env);
  const host = [
    privilegesCheck(env),
    lockdownCheck(env),
    btfCheck(env),
    tracefsCheck(env, tracefs),
    bpffsCheck(env),
    ...allTracepoints(requirements).map((tp) => cache.get(`tracepoint.${tp.join('/')}`, () => tracepointCheck(env, tracefs, tp))),
    cache.get('host.perf_event', perfEventCheck),
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
  };
  const tracers = names.map((name) => evaluateTracer(name, entries[name]?.enabled ?? false, requirements[name], entries[name]?.settings, facts, cache));
  const report = { host, agent, tracers };
  return { ...report, exitCode: exitCodeOf(report) };
}

export async function runDoctor(opts: { config?: string; json: boolean }): Promise<number> {
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
  const report = await doctorReport(config);
  process.stdout.write(opts.json ? renderJson(report) : renderTable(report));
  return report.exitCode;
}
