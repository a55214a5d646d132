// Per-tracer verdicts of `autotracer doctor`: for every catalog entry, the honest test of
// whether it can run here — open and load (never attach) each of its BPF objects with the
// real addon, check each tracepoint and file it reads — and why not when it cannot.
import { accessSync, constants, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { BpfObject } from '../native/index.js';
import { bpfObjectPath } from '../paths.js';
import { firstLine, tracepointCheck, type DoctorEnv } from './doctor-host.js';
import { check, type CheckResult, type TracerResult } from './doctor-report.js';
import type { RequiredFile, TracerRequirements } from './doctor-requirements.js';
import { featureChecks, objectChoice, type ObjectChoice } from './doctor-features.js';
import type { KernelBtf } from '../native/btf.js';

/** Results shared by several tracers are computed once per doctor run. */
export class CheckCache {
  private readonly results = new Map<string, CheckResult>();
  get(id: string, run: () => CheckResult): CheckResult {
    let r = this.results.get(id);
    if (r === undefined) {
      r = run();
      this.results.set(id, r);
    }
    return r;
  }
}

/** `autoload`: the tracer's program choice for this object (default: the object's own SEC defaults). */
export function bpfLoadCheck(object: string, autoload?: Record<string, boolean>): CheckResult {
  const id = `bpf.${object}`;
  const title = `BPF ${object}.bpf.o loads`;
  const path = bpfObjectPath(object);
  if (!existsSync(path)) return check(id, title, 'fail', `${path} missing`, `npm run build (compiles src/native/bpf/${object}.bpf.c)`);
  let loaded: BpfObject | undefined;
  try {
    loaded = BpfObject.open(path, autoload !== undefined ? { autoload } : {});
    const programs = loaded.programs().length;
    return check(id, title, 'ok', `opened and loaded (${programs} program${programs === 1 ? '' : 's'}, not attached)`);
  } catch (err) {
    const e = err as { code?: string; errno?: number; message: string; libbpfMessage?: string };
    const hint = e.errno === 1 || e.errno === 13
      ? 'run as root (CAP_BPF+CAP_PERFMON+CAP_SYS_ADMIN); under lockdown=confidentiality BPF kernel reads are refused'
      : e.code === 'BPF_OPEN_FAILED' ? 'rebuild the object for this kernel: npm run build' : 'the verifier refused it on this kernel: see docs/native-bpf.md';
    return check(id, title, 'fail', `${e.code ?? 'error'}: ${firstLine(e.message)}`, hint);
  } finally {
    loaded?.close();
  }
}

/** `/proc/...` paths follow the tracer's settings.procRoot (tests point it at fakes). */
function resolvePath(file: RequiredFile, procRoot: string): string {
  return file.path.startsWith('/proc/') ? procRoot + file.path.slice('/proc'.length) : file.path;
}

export function fileCheck(file: RequiredFile, procRoot: string): CheckResult {
  const path = resolvePath(file, procRoot);
  const id = `file.${path}`;
  const title = `reads ${path}`;
  try {
    accessSync(path, constants.R_OK);
    // access() says yes to root for files whose read handler refuses (e.g. /proc/<pid>/stack
    // without CAP_SYS_ADMIN): read a byte to be sure.
    const fd = openSync(path, 'r');
    try {
      readSync(fd, Buffer.alloc(1), 0, 1, null);
    } finally {
      closeSync(fd);
    }
    return check(id, title, 'ok', file.why);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return check(id, title, 'fail', `${code ?? 'error'} (${file.why})`, code === 'ENOENT' ? 'this kernel does not provide it' : 'run as root');
  }
}

export interface TracerContextFacts {
  env: DoctorEnv;
  tracefs: string | undefined;
  cgroupV2: boolean;
  cgroupAny: boolean;
  perfEvent: () => CheckResult;
  /** The kernel BTF the feature checks read; undefined when it cannot be read (host.btf says why). */
  btf: KernelBtf | undefined;
  /**
   * Predicting for another kernel (`doctor --btf <file>`): only BTF-derived checks count;
   * nothing is loaded and no host file or tracepoint directory is looked at.
   */
  predict: boolean;
}

export function evaluateTracer(
  name: string,
  enabled: boolean,
  requirements: TracerRequirements | undefined,
  settings: unknown,
  facts: TracerContextFacts,
  cache: CheckCache,
): TracerResult {
  const checks: CheckResult[] = [];
  let bpfObjects: string[] = [];
  if (requirements === undefined) {
    // A tracer added without a requirement list (e.g. fresh from `new-tracer`): load its
    // namesake object if there is one; say that the rest is unchecked.
    checks.push(check(`tracer.${name}.requirements`, 'requirements declared', 'warn', 'no entry in src/cli/doctor-requirements.ts: only its namesake BPF object is checked',
      'add the tracer to src/cli/doctor-requirements.ts'));
    if (existsSync(bpfObjectPath(name))) {
      bpfObjects = [name];
      if (!facts.predict) checks.push(cache.get(`bpf.${name}`, () => bpfLoadCheck(name)));
    }
  } else {
    const procRoot = typeof (settings as { procRoot?: unknown } | undefined)?.procRoot === 'string' ? (settings as { procRoot: string }).procRoot : facts.env.procRoot;
    let objects = [...requirements.bpfObjects];
    let autoload: ObjectChoice['autoload'];
    if (facts.btf !== undefined) {
      checks.push(...featureChecks(name, facts.btf));
      const choice = objectChoice(name, facts.btf, objects, facts.predict);
      if (choice !== undefined) {
        checks.push(choice.check);
        objects = choice.objects;
        autoload = choice.autoload;
      }
    }
    bpfObjects = objects;
    if (!facts.predict) {
      for (const file of requirements.files) checks.push(fileCheck(file, procRoot));
      for (const tp of requirements.tracepoints) checks.push(cache.get(`tracepoint.${tp.join('/')}`, () => tracepointCheck(facts.env, facts.tracefs, tp)));
      if (requirements.perfEvent) checks.push(cache.get('host.perf_event', facts.perfEvent));
      switch (requirements.cgroups) {
        case 'v2':
          checks.push(facts.cgroupV2 ? check('cgroup.v2', 'cgroup v2', 'ok', 'mounted') : check('cgroup.v2', 'cgroup v2', 'fail', 'no cgroup2 mount', 'mount -t cgroup2 none /sys/fs/cgroup/unified'));
          break;
        case 'any':
          checks.push(facts.cgroupAny ? check('cgroup.any', 'a cgroup hierarchy', 'ok', 'mounted') : check('cgroup.any', 'a cgroup hierarchy', 'fail', 'no cgroup v1 or v2 mount', 'mount -t cgroup2 none /sys/fs/cgroup'));
          break;
        case 'none':
          break;
      }
      for (const object of objects) checks.push(cache.get(`bpf.${object}`, () => bpfLoadCheck(object, autoload?.[object])));
    }
  }
  const failed = checks.filter((c) => c.status === 'fail');
  return { name, enabled, canRun: failed.length === 0, reasons: failed.map((c) => `${c.title}: ${c.detail}`), checks, bpfObjects };
}
