// Host-wide checks of `autotracer doctor`: privileges, lockdown, BTF, tracefs and bpffs,
// the tracepoints the tracers attach to, perf_event cpu-clock, cgroup layout and PSI.
// Every check reads the real kernel interfaces; nothing is changed on the host (the
// perf_event probe attaches the profile program at 1 Hz on one CPU and closes it at once).
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { detectCgroupMounts, type CgroupMounts } from '../containers/index.js';
import { tracepointUnavailableReason } from '../native/bpf/kevents.js';
import { PROFILE_OBJECT, PROFILE_PROGRAM } from '../native/bpf/profile.js';
import { BpfObject } from '../native/index.js';
import { deviceMapperAvailable, mdAvailable } from '../actors/tracers/iotracing/block-topology.js';
import { checkPidNamespace } from '../capture/pid-namespace.js';
import { check, type CheckResult } from './doctor-report.js';

/** Where the doctor looks; tests point parts of it at fakes to exercise failures. */
export interface DoctorEnv {
  procRoot: string;
  /** tracefs mount point; undefined = found in mountinfo. */
  tracefsRoot: string | undefined;
  btfPath: string;
  lockdownPath: string;
}

export const defaultDoctorEnv: DoctorEnv = {
  procRoot: '/proc',
  tracefsRoot: undefined,
  btfPath: '/sys/kernel/btf/vmlinux',
  lockdownPath: '/sys/kernel/security/lockdown',
};

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function privilegesCheck(env: DoctorEnv): CheckResult {
  const status = readText(`${env.procRoot}/self/status`) ?? '';
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  const has = (bit: bigint): boolean => ((capEff >> bit) & 1n) === 1n;
  const uid = process.getuid?.() ?? -1;
  const caps = [has(CAP_BPF) ? 'CAP_BPF' : '', has(CAP_PERFMON) ? 'CAP_PERFMON' : '', has(CAP_SYS_ADMIN) ? 'CAP_SYS_ADMIN' : ''].filter(Boolean);
  const enough = (has(CAP_BPF) && has(CAP_PERFMON)) || has(CAP_SYS_ADMIN);
  const detail = `uid ${uid}, effective ${caps.length > 0 ? caps.join('+') : 'no BPF capabilities'}`;
  return {
    ...check('host.privileges', 'root / CAP_BPF+CAP_PERFMON', enough ? 'ok' : 'fail', detail,
      'run as root (sudo autotracer ...), or grant CAP_BPF CAP_PERFMON CAP_SYS_ADMIN (systemd: AmbientCapabilities=)'),
    fatal: !enough,
  };
}

export function lockdownCheck(env: DoctorEnv): CheckResult {
  const text = readText(env.lockdownPath);
  if (text === undefined) {
    return check('host.lockdown', 'kernel lockdown', 'warn', `${env.lockdownPath} not readable: mode unknown (securityfs not mounted?)`,
      'mount -t securityfs securityfs /sys/kernel/security (only to read the mode; the BPF checks below are what count)');
  }
  const mode = /\[(\w+)\]/.exec(text)?.[1] ?? 'unknown';
  switch (mode) {
    case 'none':
      return check('host.lockdown', 'kernel lockdown', 'ok', 'none');
    case 'integrity':
      return check('host.lockdown', 'kernel lockdown', 'ok', 'integrity: kprobes/fentry are blocked, which autotracer does not use');
    default:
      return check('host.lockdown', 'kernel lockdown', 'warn', `${mode}: BPF reads of kernel memory may be refused (see the per-tracer BPF loads)`,
        'boot with lockdown=integrity (or none) if tracers fail to load');
  }
}

export function btfCheck(env: DoctorEnv): CheckResult {
  if (!existsSync(env.btfPath)) {
    return check('host.btf', 'kernel BTF', 'fail', `${env.btfPath} missing: tp_btf programs and CO-RE cannot work`, 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y');
  }
  return check('host.btf', 'kernel BTF', 'ok', `${env.btfPath} (${Math.round(statSync(env.btfPath).size / 1024)} KiB)`);
}

interface Mount {
  mountPoint: string;
  fsType: string;
}

function mounts(env: DoctorEnv): Mount[] {
  return (readText(`${env.procRoot}/self/mountinfo`) ?? '').split('\n').flatMap((line) => {
    const sep = line.indexOf(' - ');
    if (sep < 0) return [];
    const mountPoint = line.slice(0, sep).split(' ')[4];
    const fsType = line.slice(sep + 3).split(' ')[0];
    return mountPoint !== undefined && fsType !== undefined ? [{ mountPoint: mountPoint.replace(/\\040/g, ' '), fsType }] : [];
  });
}

/** The tracefs root the doctor uses: the override, else the mount (preferring /sys/kernel/tracing). */
export function findTracefs(env: DoctorEnv): string | undefined {
  if (env.tracefsRoot !== undefined) return existsSync(env.tracefsRoot) ? env.tracefsRoot : undefined;
  const found = mounts(env).filter((m) => m.fsType === 'tracefs').map((m) => m.mountPoint);
  return found.find((m) => m === '/sys/kernel/tracing') ?? found[0];
}

export function tracefsCheck(env: DoctorEnv, tracefs: string | undefined): CheckResult {
  if (tracefs === undefined) {
    return check('host.tracefs', 'tracefs mounted', 'fail', 'no tracefs mount: tracepoints cannot be checked or attached', 'mount -t tracefs nodev /sys/kernel/tracing');
  }
  try {
    accessSync(`${tracefs}/events`, constants.R_OK | constants.X_OK);
  } catch (err) {
    return check('host.tracefs', 'tracefs mounted', 'fail', `${tracefs}/events not readable: ${(err as Error).message}`, 'run as root');
  }
  return check('host.tracefs', 'tracefs mounted', 'ok', tracefs);
}

export function bpffsCheck(env: DoctorEnv): CheckResult {
  const bpffs = mounts(env).find((m) => m.fsType === 'bpf');
  return bpffs !== undefined
    ? check('host.bpffs', 'bpffs mounted', 'ok', bpffs.mountPoint)
    : check('host.bpffs', 'bpffs mounted', 'warn', 'no bpffs mount (autotracer pins nothing, but bpftool inspection needs it)', 'mount -t bpf bpf /sys/fs/bpf');
}

/** One check per tracepoint: the tracefs event directory and the kernel BTF's btf_trace_<name>. */
export function tracepointCheck(env: DoctorEnv, tracefs: string | undefined, [category, name]: [string, string]): CheckResult {
  const id = `tracepoint.${category}/${name}`;
  const title = `tracepoint ${category}/${name}`;
  if (tracefs === undefined) return check(id, title, 'fail', 'tracefs is not mounted', 'mount -t tracefs nodev /sys/kernel/tracing');
  try {
    accessSync(`${tracefs}/events`, constants.R_OK | constants.X_OK);
  } catch (err) {
    return check(id, title, 'fail', `cannot look: ${tracefs}/events ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'run as root');
  }
  if (!existsSync(`${tracefs}/events/${category}/${name}`)) {
    return check(id, title, 'fail', `${tracefs}/events/${category}/${name} missing`, 'this kernel lacks the tracepoint; the tracers using it report unavailable');
  }
  const reason = tracepointUnavailableReason(category, name, { tracefsRoot: tracefs, btfPath: env.btfPath });
  return reason === undefined ? check(id, title, 'ok', 'present (tracefs + BTF)') : check(id, title, 'fail', reason, 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y');
}

/** perf_event cpu-clock sampling: loads the profile object and attaches it at 1 Hz on one CPU, then closes it. */
export function perfEventCheck(): CheckResult {
  let object: BpfObject | undefined;
  try {
    object = BpfObject.openBuilt(PROFILE_OBJECT);
    const cpus = object.attachPerfEvent(PROFILE_PROGRAM, { frequency: 1, cpus: [0] });
    return check('host.perf_event', 'perf_event cpu-clock', 'ok', `opened and attached on ${cpus} CPU`);
  } catch (err) {
    const e = err as { code?: string; errno?: number; message: string };
    return check('host.perf_event', 'perf_event cpu-clock', 'fail', `${e.code ?? 'error'}: ${firstLine(e.message)}`,
      e.errno === 13 || e.errno === 1 ? 'run as root, or lower kernel.perf_event_paranoid' : 'npm run build (compiles build/bpf/profile.bpf.o); a VM may lack a cpu-clock PMU');
  } finally {
    object?.close();
  }
}

/**
 * Stacked block devices (device-mapper, md): iotracing resolves an anomaly on /dev/dm-* or md*
 * to the disks below it. A kernel without them is not a fault (nothing to resolve), but an
 * operator expecting LVM or RAID should learn here that this kernel cannot have any.
 */
export function stackedBlockDevicesCheck(env: DoctorEnv): CheckResult {
  const dm = deviceMapperAvailable(env.procRoot);
  const md = mdAvailable(env.procRoot);
  const present = [dm ? 'device-mapper' : '', md ? 'md' : ''].filter(Boolean);
  const missing = [dm ? '' : 'device-mapper (dm-*)', md ? '' : 'md (software RAID)'].filter(Boolean);
  return missing.length === 0
    ? check('host.block_stacking', 'stacked block devices', 'ok', 'device-mapper and md registered: iotracing resolves dm-*/md* to their disks')
    : check('host.block_stacking', 'stacked block devices', 'warn',
      `${missing.join(' and ')} not in ${env.procRoot}/devices${present.length > 0 ? ` (${present.join(', ')} present)` : ''}: no such devices can exist on this kernel; iotracing watches plain disks and partitions`,
      'only matters for LVM/dm-crypt/RAID hosts: use a kernel with CONFIG_BLK_DEV_DM / CONFIG_BLK_DEV_MD');
}

/**
 * The agent must share the host's PID namespace: BPF reports host pids, and the profiler,
 * dload and iotracing read /proc/<pid> of those pids (in another namespace they name other
 * processes, or none, and symbolization finds nothing).
 */
export function pidNamespaceCheck(env: DoctorEnv): CheckResult {
  const ns = checkPidNamespace(env.procRoot);
  return ns.shared
    ? check('host.pid_namespace', 'host PID namespace', 'ok', `shared with the host (${ns.self ?? 'NSpid depth 1'})`)
    : check('host.pid_namespace', 'host PID namespace', 'fail', ns.reason ?? 'not the host PID namespace', 'run the agent in the host PID namespace (docker/podman: --pid=host; Kubernetes: hostPID: true)');
}

export function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}

export interface CgroupFacts {
  mounts: CgroupMounts | undefined;
  checks: CheckResult[];
}

/** cgroup v2 mount, the v1 controllers the accounting reads, and PSI. */
export function cgroupChecks(env: DoctorEnv): CgroupFacts {
  let found: CgroupMounts | undefined;
  let error = '';
  try {
    found = detectCgroupMounts();
  } catch (err) {
    error = (err as Error).message;
  }
  const checks: CheckResult[] = [];
  checks.push(found?.v2 !== undefined
    ? check('cgroup.v2', 'cgroup v2 mounted', 'ok', found.v2.mountPoint)
    : check('cgroup.v2', 'cgroup v2 mounted', 'warn', error || 'no cgroup2 mount: container ids in BPF and perf cgroup mode are unavailable',
      'mount -t cgroup2 none /sys/fs/cgroup/unified (hybrid) or boot with systemd.unified_cgroup_hierarchy=1'));
  const v2Only = found?.v2 !== undefined && found.v1.size === 0;
  for (const controller of ['cpu', 'cpuacct', 'blkio', 'memory'] as const) {
    const h = found?.v1.get(controller);
    checks.push(h !== undefined
      ? check(`cgroup.v1.${controller}`, `cgroup v1 ${controller}`, 'ok', h.mountPoint)
      : v2Only
        ? check(`cgroup.v1.${controller}`, `cgroup v1 ${controller}`, 'skip', 'pure cgroup v2 host: accounting comes from v2 files')
        : check(`cgroup.v1.${controller}`, `cgroup v1 ${controller}`, 'warn', 'not mounted: container accounting for it is unavailable',
          `mkdir -p /sys/fs/cgroup/${controller} && mount -t cgroup -o ${controller} cgroup /sys/fs/cgroup/${controller}`));
  }
  const psi = readText(`${env.procRoot}/pressure/cpu`);
  checks.push(psi !== undefined
    ? check('cgroup.psi', 'PSI (pressure stall info)', 'ok', `${env.procRoot}/pressure/{cpu,io,memory}`)
    : check('cgroup.psi', 'PSI (pressure stall info)', 'warn', `${env.procRoot}/pressure/cpu not readable: container pressure is unavailable`,
      'use a kernel with CONFIG_PSI=y; boot with psi=1 if CONFIG_PSI_DEFAULT_DISABLED'));
  return { mounts: found, checks };
}
