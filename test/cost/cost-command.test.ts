// Issue 16.1: `autotracer cost` against a REAL running agent with waitrate attached (its
// on_switch runs on every context switch): per actor CPU, per BPF program ns per invocation
// × invocations per second, as a table, JSON and Prometheus text; BPF run-time stats on for
// the window only (the agent holds none by default, issue 13.3); the token is required.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { programCountersOf } from '../../src/cost/fdinfo.js';
import type { CostReport } from '../../src/cost/measure.js';
import { makeTempDir, removeDir, runCli, startAgentProcess, waitFor, type AgentProcess } from '../cli/support.js';

/** Total run count of the agent's BPF programs (grows only while someone holds BPF stats). */
const agentRuns = (pid: number): number => [...programCountersOf(pid).values()].reduce((n, c) => n + c.runCount, 0);

describe('autotracer cost', { concurrency: false }, () => {
  let dir: string | undefined;
  let agent: AgentProcess | undefined;
  const api = (): string[] => ['--api', agent!.base, '--token-file', agent!.tokenFile];

  before(async () => {
    dir = makeTempDir('autotracer-cost-');
    agent = await startAgentProcess(dir, { tracers: { waitrate: { enabled: true, metricsIntervalMs: 200 } } });
    // The actor reports its program ids on its metrics tick.
    await waitFor('waitrate running', async () => {
      const r = (await (await fetch(`${agent!.base}/api/v1/tracers`)).json()) as { data: Array<{ name: string; state: string }> };
      return r.data.find((t) => t.name === 'waitrate')?.state === 'running';
    });
  });
  after(async () => {
    await agent?.stop();
    removeDir(dir);
  });

  it('--format json: waitrate on_switch has ns per invocation and invocations per second; stats on only during the window', async (t) => {
    const pid = agent!.child.pid!;
    const runs0 = agentRuns(pid);
    await sleep(500);
    const wasOn = agentRuns(pid) > runs0; // someone else on this shared machine holds stats
    const run = await runCli(['cost', '--seconds', '2', '--format', 'json', ...api()], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as CostReport;
    assert.ok(report.windowSeconds >= 1.9 && report.windowSeconds < 10, `window ${report.windowSeconds}`);
    const waitrate = report.actors.find((a) => a.name === 'waitrate');
    assert.ok(waitrate !== undefined, JSON.stringify(report.actors.map((a) => a.name)));
    assert.equal(waitrate.state, 'running');
    assert.ok(waitrate.cpuPercent >= 0 && waitrate.cpuPercent < 100, `cpu ${waitrate.cpuPercent}`);
    const onSwitch = waitrate.programs.find((p) => p.program === 'on_switch');
    assert.ok(onSwitch !== undefined, JSON.stringify(waitrate.programs));
    assert.ok(onSwitch.invocationsPerSecond > 10, `on_switch invocations/s ${onSwitch.invocationsPerSecond}`);
    assert.ok(onSwitch.nsPerInvocation !== null && onSwitch.nsPerInvocation > 0 && onSwitch.nsPerInvocation < 100_000, `ns/inv ${onSwitch.nsPerInvocation}`);
    assert.ok(Math.abs(onSwitch.cpuPercent - (onSwitch.nsPerInvocation * onSwitch.invocationsPerSecond) / 1e7) < 1e-6, 'cpu% = ns/inv × inv/s');
    assert.ok(report.agent.rssBytes !== null && report.agent.rssBytes > 1e6);
    if (wasOn || report.bpfStats.wereOn) {
      t.diagnostic('another process holds BPF stats: the restore to off cannot be seen now');
      return;
    }
    // Off before (the agent holds no stats by default), on for the window (counted above), off after.
    assert.equal(report.bpfStats.onAfter, false, 'stats are off again after the window');
    const runs1 = agentRuns(pid);
    await sleep(500);
    assert.equal(agentRuns(pid), runs1, 'the agent\'s programs are no longer timed');
  });

  it('table and Prometheus text', async () => {
    const table = await runCli(['cost', '--seconds', '1', ...api()], { timeoutMs: 60_000 });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ACTOR\s+STATE\s+ISOLATION\s+CPU\s+MEMORY\s+BPF PROGS\s+BPF CPU/m);
    assert.match(table.stdout, /^waitrate\s+waitrate\/on_switch\s+\d+\s+\d+\s+[\d.]+%/m);
    const prom = await runCli(['cost', '--seconds', '1', '--format', 'prometheus', ...api()], { timeoutMs: 60_000 });
    assert.equal(prom.code, 0, prom.stderr);
    assert.match(prom.stdout, /^# TYPE autotracer_cost_bpf_ns_per_invocation gauge$/m);
    assert.match(prom.stdout, /^autotracer_cost_bpf_ns_per_invocation\{actor="waitrate",object="waitrate",program="on_switch"\} [\d.]+$/m);
    assert.match(prom.stdout, /^autotracer_cost_actor_cpu_percent\{actor="waitrate",kind="tracer"\} [\d.e-]+$/m);
  });

  it('--ab waitrate: interleaved on/off rounds of the built-in ping-pong, the tracer running again after', { timeout: 180_000 }, async () => {
    const run = await runCli(['cost', '--seconds', '1', '--ab', 'waitrate', '--rounds', '2', '--loops', '3000', '--format', 'json', ...api()], { timeoutMs: 170_000 });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as CostReport & { ab: Array<{ tracer: string; rounds: number; offOpsPerSecond: number; onOpsPerSecond: number; slowdownPercent: number; noiseFloorPercent: number }> };
    assert.equal(report.ab.length, 1);
    const ab = report.ab[0]!;
    assert.equal(ab.tracer, 'waitrate');
    assert.equal(ab.rounds, 2);
    assert.ok(ab.offOpsPerSecond > 0 && ab.onOpsPerSecond > 0, JSON.stringify(ab));
    assert.ok(Number.isFinite(ab.slowdownPercent) && ab.noiseFloorPercent >= 0, JSON.stringify(ab));
    const tracers = (await (await fetch(`${agent!.base}/api/v1/tracers`)).json()) as { data: Array<{ name: string; state: string }> };
    assert.equal(tracers.data.find((t) => t.name === 'waitrate')?.state, 'running', 'the tracer is left running, as found');
  });

  it('needs the token (BPF stats are a host-wide state change): exit 4 without it', async () => {
    const run = await runCli(['cost', '--seconds', '1', '--api', agent!.base, '--token-file', '/nonexistent/token'], { timeoutMs: 30_000 });
    assert.equal(run.code, 4, `${run.stdout}${run.stderr}`);
  });
});
