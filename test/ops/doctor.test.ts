// `autotracer doctor` on the real host: every enabled tracer's BPF objects really load here,
// and each failure path (a missing tracepoint, a missing object, an unwritable storage
// path, a port held by someone else, no privileges) turns into a failing check with a hint
// and exit code 1. The doctor's own process is run too, as root and as `nobody`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { builtinTracers } from '../../src/actors/tracers/catalog.js';
import { parseAgentConfig } from '../../src/config/load.js';
import { doctorReport } from '../../src/cli/doctor.js';
import { defaultDoctorEnv, pidNamespaceCheck } from '../../src/cli/doctor-host.js';
import { tracerRequirements } from '../../src/cli/doctor-requirements.js';
import type { DoctorReport } from '../../src/cli/doctor-report.js';
import { FakeElasticsearch } from '../support/fake-es.js';
import { startAgent } from '../http/support.js';
import { fakeKernelBtf, NEW_KERNEL } from '../support/btf-writer.js';

/**
 * Lets other users reach `file`: every directory above it without search permission for
 * others (a checkout made in a `mktemp -d` is 0700) gets o+x for the test, restored after it.
 */
function letOthersReach(t: TestContext, file: string): void {
  const changed: { dir: string; mode: number }[] = [];
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push({ dir, mode });
    }
    if (dirname(dir) === dir) break;
  }
  t.after(() => {
    for (const { dir, mode } of changed) chmodSync(dir, mode);
  });
}

function temp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'autotracer-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function baseConfig(t: TestContext, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return { storage: { path: join(temp(t), 'events') }, http: { port: await freePort() }, ...extra };
}

const byId = (report: DoctorReport, id: string) => [...report.host, ...report.agent].find((c) => c.id === id);
const tracer = (report: DoctorReport, name: string) => report.tracers.find((t) => t.name === name)!;

describe('doctor', () => {
  it('has a requirement list for every catalog tracer', () => {
    assert.deepEqual(Object.keys(builtinTracers).filter((n) => tracerRequirements[n] === undefined), []);
  });

  it('on this host every tracer can run: its BPF objects open and load, tracepoints and files exist', async (t) => {
    const report = await doctorReport(parseAgentConfig(await baseConfig(t)));
    const failed = [...report.host, ...report.agent].filter((c) => c.status === 'fail');
    assert.deepEqual(failed, []);
    for (const name of Object.keys(builtinTracers)) {
      const r = tracer(report, name);
      assert.ok(r.canRun, `${name}: ${r.reasons.join('; ')}`);
      const objects = tracerRequirements[name]!.bpfObjects;
      for (const o of objects) assert.equal(r.checks.find((c) => c.id === `bpf.${o}`)?.status, 'ok', `${name} ${o}`);
    }
    assert.equal(tracer(report, 'waitrate').enabled, false); // opt-in by default
    assert.equal(byId(report, 'host.perf_event')?.status, 'ok');
    assert.equal(byId(report, 'host.pid_namespace')?.status, 'ok', 'the test runs in the host PID namespace');
    // This kernel has neither device-mapper nor md (CONFIG_MD unset): said, as a warning.
    assert.equal(byId(report, 'host.block_stacking')?.status, 'warn');
    assert.match(byId(report, 'host.block_stacking')!.detail, /device-mapper \(dm-\*\) and md \(software RAID\) not in \/proc\/devices/);
    assert.equal(byId(report, 'agent.elasticsearch')?.status, 'skip');
    assert.match(byId(report, 'agent.storage')!.detail, /will be created/);
    assert.equal(report.exitCode, 0);
  });

  it('fails the PID namespace check for an agent in its own PID namespace, with the fix', (t) => {
    // A /proc whose self/ns/pid names another namespace (as in a container without --pid=host).
    const proc = mkdtempSync(join(tmpdir(), 'autotracer-doctor-proc-'));
    t.after(() => rmSync(proc, { recursive: true, force: true }));
    mkdirSync(join(proc, 'self/ns'), { recursive: true });
    symlinkSync('pid:[4026532555]', join(proc, 'self/ns/pid'));
    const result = pidNamespaceCheck({ ...defaultDoctorEnv, procRoot: proc });
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /PID namespace pid:\[4026532555\], not the host's/);
    assert.match(result.hint ?? '', /--pid=host/);
  });

  it('reports each tracer\'s kernel features from BTF and the OOM program it picks here', async (t) => {
    const report = await doctorReport(parseAgentConfig(await baseConfig(t)), { tracers: ['oom', 'iotracing', 'waitrate', 'hungtask'] });
    for (const name of ['oom', 'iotracing', 'waitrate', 'hungtask']) {
      const features = tracer(report, name).checks.filter((c) => c.id.startsWith(`feature.${name}.`));
      assert.ok(features.length >= 3, `${name} lists its features`);
      assert.deepEqual(features.filter((c) => c.status !== 'ok'), [], `${name}: every feature present on 6.18`);
    }
    assert.ok(tracer(report, 'iotracing').checks.some((c) => c.id === 'feature.iotracing.tp_btf:block_io_start' && c.detail === 'present (Linux 6.5+)'));
    assert.equal(tracer(report, 'iotracing').checks.find((c) => c.id === 'variant.iotracing')?.detail, 'block_io_start: iot_io_start');
    assert.equal(tracer(report, 'iotracing').checks.find((c) => c.id === 'bpf.iotracing')?.status, 'ok', 'loaded with the program chosen here');
    assert.match(tracer(report, 'oom').checks.find((c) => c.id === 'variant.oom')!.detail, /victim task: kevents_oom$/);
    assert.deepEqual(tracer(report, 'oom').bpfObjects, ['kevents_oom']);
  });

  it('--btf predicts for another kernel: a pre-6.9 one gets the OOM pid variant and the iotracing start fallback, a 5.15 one loses iotracing and waitrate, naming why', async (t) => {
    const pre69 = fakeKernelBtf({ ...NEW_KERNEL, markVictim: 'pid', blockIoStart: false }).writeTemp();
    const config = parseAgentConfig(await baseConfig(t, { tracers: { waitrate: { enabled: true } } }));
    const report = await doctorReport(config, { kernelBtf: pre69 });
    assert.equal(report.predictedFor, pre69);
    assert.deepEqual(report.agent, []);
    const oom = tracer(report, 'oom');
    assert.equal(oom.canRun, true);
    assert.deepEqual(oom.bpfObjects, ['kevents_oom_pid']);
    assert.equal(oom.checks.find((c) => c.id === 'feature.oom.mark_victim.task')?.status, 'warn', 'a fallback, not a failure');
    assert.match(oom.checks.find((c) => c.id === 'variant.oom')!.detail, /only the victim pid \(before 6\.9\): kevents_oom_pid/);
    assert.ok(oom.checks.every((c) => !c.id.startsWith('bpf.')), 'nothing is loaded when predicting');
    const io = tracer(report, 'iotracing');
    assert.equal(io.canRun, true, 'iotracing falls back before 6.5');
    assert.equal(io.checks.find((c) => c.id === 'feature.iotracing.tp_btf:block_io_start')?.status, 'warn', 'a fallback, not a failure');
    assert.match(io.checks.find((c) => c.id === 'variant.iotracing')!.detail, /^no block_io_start \(before 6\.5\): iot_rq_insert fallback/);
    assert.equal(report.exitCode, 0, JSON.stringify(report.tracers.filter((x) => !x.canRun).map((x) => x.reasons)));

    const k515 = fakeKernelBtf({ markVictim: 'pid', blockIoStart: false, ringbuf: true, switchPrevState: false, percpuLookup: false, threadInfoCpu: false }).writeTemp();
    const old = await doctorReport(config, { kernelBtf: k515, tracers: ['waitrate', 'hungtask'] });
    assert.deepEqual(tracer(old, 'waitrate').reasons.map((r) => /^kernel: (.*): missing/.exec(r)?.[1]), [
      'sched_switch passes prev_state', 'task CPU in thread_info.cpu', 'bpf_map_lookup_percpu_elem() helper',
    ]);
    assert.equal(tracer(old, 'hungtask').canRun, true);
    const io515 = await doctorReport(config, { kernelBtf: k515, tracers: ['iotracing'] });
    assert.deepEqual(tracer(io515, 'iotracing').reasons, ['kernel: sched_switch passes prev_state: missing: needs Linux 5.18+ (or a backport)']);
    const unreadable = await doctorReport(config, { kernelBtf: join(temp(t), 'nope'), tracers: ['oom'] });
    assert.equal(unreadable.host[0]?.status, 'fail');
    assert.equal(unreadable.exitCode, 1);
  });

  it('a tracepoint missing from tracefs makes its tracer unable to run, with a hint; exit 1 only when that tracer is enabled', async (t) => {
    const fake = temp(t);
    for (const [cat, name] of Object.values(tracerRequirements).flatMap((r) => r.tracepoints)) {
      if (name !== 'sched_process_hang') mkdirSync(join(fake, 'events', cat, name), { recursive: true });
    }
    const tracers = ['hungtask', 'oom'];
    const on = await doctorReport(parseAgentConfig(await baseConfig(t)), { env: { tracefsRoot: fake }, tracers });
    const hung = tracer(on, 'hungtask');
    assert.equal(hung.canRun, false);
    assert.match(hung.reasons[0]!, /sched\/sched_process_hang/);
    assert.ok(hung.checks.find((c) => c.status === 'fail')?.hint, 'a failing check carries a hint');
    assert.equal(tracer(on, 'oom').canRun, true);
    assert.equal(byId(on, 'tracepoint.sched/sched_process_hang')?.status, 'fail');
    assert.equal(on.exitCode, 1);
    const off = await doctorReport(parseAgentConfig(await baseConfig(t, { tracers: { hungtask: { enabled: false } } })), { env: { tracefsRoot: fake }, tracers });
    assert.equal(tracer(off, 'hungtask').canRun, false);
    assert.equal(off.exitCode, 0, 'a disabled tracer that cannot run does not fail the doctor');
  });

  it('no tracefs at all fails the tracefs check with the mount command as hint', async (t) => {
    const report = await doctorReport(parseAgentConfig(await baseConfig(t)), { env: { tracefsRoot: join(temp(t), 'nope') }, tracers: ['reclaim'] });
    const c = byId(report, 'host.tracefs')!;
    assert.equal(c.status, 'fail');
    assert.equal(c.hint, 'mount -t tracefs nodev /sys/kernel/tracing');
    assert.equal(tracer(report, 'reclaim').canRun, false);
  });

  it('a BPF object that is not built fails with the build command; a file the tracer reads is checked under its procRoot', async (t) => {
    const fakeProc = temp(t);
    const requirements = {
      ...tracerRequirements,
      example: { bpfObjects: ['no_such_object'], tracepoints: [], perfEvent: false, cgroups: 'none' as const, files: [{ path: '/proc/loadavg', why: 'load' }] },
    };
    const config = parseAgentConfig(await baseConfig(t, { tracers: { example: { enabled: true, settings: {} } } }));
    (config.tracers as Record<string, { settings: Record<string, unknown> }>).example!.settings.procRoot = fakeProc;
    const report = await doctorReport(config, { requirements, tracers: ['example'] });
    const ex = tracer(report, 'example');
    assert.equal(ex.canRun, false);
    assert.equal(ex.checks.find((c) => c.id === 'bpf.no_such_object')?.hint, 'npm run build (compiles src/native/bpf/no_such_object.bpf.c)');
    assert.equal(ex.checks.find((c) => c.id === `file.${fakeProc}/loadavg`)?.status, 'fail');
    assert.equal(report.exitCode, 1);
  });

  it('a storage path that is a file is fatal (exit 1)', async (t) => {
    const file = join(temp(t), 'events');
    writeFileSync(file, 'x');
    const report = await doctorReport(parseAgentConfig(await baseConfig(t, { storage: { path: file } })), { tracers: [] });
    assert.equal(byId(report, 'agent.storage')?.status, 'fail');
    assert.equal(report.exitCode, 1);
  });

  it('Elasticsearch: reachable when up, a warning (not a failure) when down', async (t) => {
    const es = await FakeElasticsearch.start();
    t.after(() => es.close());
    const config = parseAgentConfig(await baseConfig(t, { storage: { path: join(temp(t), 'e'), elasticsearch: { urls: [es.url] } } }));
    const up = await doctorReport(config, { tracers: [] });
    assert.equal(byId(up, 'agent.elasticsearch')?.status, 'ok', byId(up, 'agent.elasticsearch')?.detail);
    await es.refuseConnections();
    const started = Date.now();
    const down = await doctorReport(config, { tracers: [] });
    assert.equal(byId(down, 'agent.elasticsearch')?.status, 'warn');
    assert.ok(Date.now() - started < 10_000);
    assert.equal(down.exitCode, 0);
  });

  it('HTTP port: held by a running autotracer is fine, held by another program fails', async (t) => {
    const agent = await startAgent(t, {}, []);
    const agentPort = Number(new URL(agent.server.url).port);
    const ours = await doctorReport(parseAgentConfig(await baseConfig(t, { http: { port: agentPort } })), { tracers: [] });
    assert.equal(byId(ours, 'agent.http')?.status, 'ok');
    assert.match(byId(ours, 'agent.http')!.detail, /held by a running autotracer/);

    const other: Server = createServer((_req, res) => res.end('not autotracer'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    t.after(() => new Promise((r) => other.close(r)));
    const port = (other.address() as { port: number }).port;
    const theirs = await doctorReport(parseAgentConfig(await baseConfig(t, { http: { port } })), { tracers: [] });
    assert.equal(byId(theirs, 'agent.http')?.status, 'fail');
    assert.match(byId(theirs, 'agent.http')!.hint!, /ss -ltnp/);
    assert.equal(theirs.exitCode, 1);
  });

  describe('the doctor process', () => {
    const runner = fileURLToPath(new URL('./doctor-runner.js', import.meta.url));

    it('as root: table output, exit 0; --json parses; a bad config exits 2', async (t) => {
      const dir = temp(t);
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify(await baseConfig(t)));
      const table = spawnSync(process.execPath, [runner, config], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(table.status, 0, table.stdout + table.stderr);
      assert.match(table.stdout, /^TRACER\s+ENABLED\s+CAN RUN\s+WHY NOT$/m);
      assert.match(table.stdout, /Every enabled tracer can run here\./);
      const json = spawnSync(process.execPath, [runner, config, '--json'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(json.status, 0);
      const report = JSON.parse(json.stdout) as DoctorReport;
      assert.equal(report.tracers.length, Object.keys(builtinTracers).length);
      writeFileSync(config, '{"storage": {"nope": 1}}');
      const bad = spawnSync(process.execPath, [runner, config], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /storage: nope: unknown key|storage\.nope: unknown key/);
    });

    it('--btf: the table says it is a prediction, shows the fallbacks and the OOM and iotracing programs', async (t) => {
      const dir = temp(t);
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify(await baseConfig(t)));
      const btf = fakeKernelBtf({ ...NEW_KERNEL, markVictim: 'pid', blockIoStart: false }).writeTemp();
      const r = spawnSync(process.execPath, [runner, config, `--btf=${btf}`], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^Prediction for the kernel whose BTF is ${btf} \\(nothing loaded\\)$`, 'm'));
      assert.match(r.stdout, /^ {4}fallback: tracepoint block_io_start \(tp_btf\): missing \(Linux 6\.5\+\): fallback: iot_rq_insert: /m);
      assert.match(r.stdout, /^ {4}program: no block_io_start \(before 6\.5\): iot_rq_insert fallback/m);
      assert.match(r.stdout, /^ {4}fallback: oom\/mark_victim passes the victim task: missing \(Linux 6\.9\+\): fallback: pre-6\.9 variant kevents_oom_pid/m);
      assert.match(r.stdout, /^ {4}program: mark_victim passes only the victim pid \(before 6\.9\): kevents_oom_pid/m);
      assert.doesNotMatch(r.stdout, /^Agent$/m);
    });

    it('as nobody: privileges fail and every BPF tracer cannot run, exit 1', async (t) => {
      // nobody cannot read /root or a 0700 temp dir: give it a world-readable copy of the config.
      const dir = temp(t);
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ storage: { path: join(dir, 'events') }, http: { port: await freePort() } }), { mode: 0o644 });
      chmodSync(dir, 0o755);
      letOthersReach(t, runner);
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, runner, config, '--json'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 1, r.stderr);
      const report = JSON.parse(r.stdout) as DoctorReport;
      assert.equal(byId(report, 'host.privileges')?.status, 'fail');
      assert.match(byId(report, 'host.privileges')!.hint!, /run as root/);
      for (const name of ['cpusys', 'iotracing', 'hungtask', 'oom', 'reclaim']) {
        const tr = tracer(report, name);
        assert.equal(tr.canRun, false, name);
        assert.ok(tr.checks.some((c) => c.status === 'fail' && c.hint !== undefined), `${name} has a hint`);
      }
      assert.equal(tracer(report, 'memburst').canRun, true, 'memburst reads world-readable /proc files');
    });
  });
});
