// The files `autotracer new-tracer <name>` writes, as template strings (they compile next
// to the CLI, so nothing has to be copied at install time). The generated code avoids
// template literals so these templates stay readable.

export interface TracerNames {
  /** The tracer and BPF object name, e.g. exec_burst. */
  name: string;
  /** camelCase, e.g. execBurst. */
  camel: string;
  /** PascalCase, e.g. ExecBurst. */
  pascal: string;
  /** UPPER_SNAKE, e.g. EXEC_BURST. */
  upper: string;
}

export function tracerNames(name: string): TracerNames {
  const camel = name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  return { name, camel, pascal: camel[0]!.toUpperCase() + camel.slice(1), upper: name.toUpperCase() };
}

/** Marks files written by the scaffold: `--force` only replaces a tracer that carries it. */
export const SCAFFOLD_MARK = 'Scaffolded by `autotracer new-tracer`';

/**
 * The scaffold's settings, once: config.ts, the docs/config.md rows and the example config
 * are generated from this list, so the three agree (test/ops/config-example.test.ts).
 */
export const SCAFFOLD_SETTINGS = [
  { key: 'threshold', zod: 'z.number().int().min(1).default(100)', value: 100, doc: 'Fire when at least this many execs happen within one interval.' },
  { key: 'intervalMs', zod: 'z.number().int().min(10).max(600_000).default(1000)', value: 1000, doc: 'How often the per-CPU exec counter is read.' },
  { key: 'parentTgid', zod: 'z.number().int().nonnegative().default(0)', value: 0, doc: 'Count only execs whose parent process has this tgid (0: every exec on the host).' },
] as const;

/** The settings object `{}` parses to (what ops/config.example.json shows). */
export function scaffoldSettingsDefaults(): Record<string, number> {
  return Object.fromEntries(SCAFFOLD_SETTINGS.map((s) => [s.key, s.value]));
}

export function configTs(n: TracerNames): string {
  const fields = SCAFFOLD_SETTINGS.map((s) => `  /** ${s.doc} */\n  ${s.key}: ${s.zod},\n`).join('');
  return `// Settings of the ${n.name} tracer (the \`settings\` object of tracers.${n.name} in the config).
// ${SCAFFOLD_MARK}. Document a key you add in docs/config.md and regenerate
// ops/config.example.json (test/ops/config-example.test.ts checks both).
import { z } from 'zod';

export const ${n.camel}SettingsSchema = z.strictObject({
${fields}});

export type ${n.pascal}Settings = z.infer<typeof ${n.camel}SettingsSchema>;
`;
}

/** The docs/config.md section of the tracer's settings (appended at the end of the page). */
export function configDocSection(n: TracerNames): string {
  const rows = SCAFFOLD_SETTINGS.map((s) => `| \`tracers.${n.name}.settings.${s.key}\` | \`${s.value}\` | ${s.doc} |\n`).join('');
  return `
### ${n.name} (opt-in; ${SCAFFOLD_MARK})

| key | default | meaning |
|---|---|---|
${rows}`;
}

/** Its doctor requirement entry (src/cli/doctor-requirements.ts): the object and tracepoint it uses. */
export function doctorRequirementEntry(n: TracerNames): { importLine: string; entryLine: string } {
  return {
    importLine: `import { ${n.upper}_OBJECT } from '../native/bpf/${n.name}.js';`,
    entryLine: `  ${n.name}: { bpfObjects: [${n.upper}_OBJECT], tracepoints: [['sched', 'sched_process_exec']], perfEvent: false, cgroups: 'none', files: [] }, // new-tracer: keep in step with its code`,
  };
}

export function indexTs(n: TracerNames): string {
  return `// The ${n.name} tracer: counts execs in BPF (a per-CPU counter on tp_btf/sched_process_exec,
// src/native/bpf/${n.name}.bpf.c), and when an interval sees at least \`threshold\` of them and
// the cooldown allows, saves an event. Replace the detection and the capture with yours.
// ${SCAFFOLD_MARK}.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BpfObject } from '../../../native/index.js';
import { ${n.upper}_MAP, ${n.upper}_OBJECT, ${n.camel}CountsLayout, ${n.camel}Rodata } from '../../../native/bpf/${n.name}.js';
import { sumPerCpuU64 } from '../../../native/layout.js';
import { Flag, registerTracer, type MetricSample, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
// Types only: the catalog entry's schema validates the settings in the main thread, so this
// worker never loads zod (see the registration below).
import type { ${n.pascal}Settings } from './config.js';

export interface ${n.pascal}EventData {
  execs: number;
  threshold: number;
  interval_ms: number;
  /** The tgid of the newest exec the BPF program saw. */
  last_tgid: number;
  reason?: string;
}

interface Counts {
  execs: bigint;
  lastTgid: number;
  lastNs: bigint;
}

/** Sums the per-CPU counters; last_tgid comes from the CPU with the newest exec. */
function readCounts(object: BpfObject): Counts {
  const values = object.map(${n.upper}_MAP).lookupPerCpu(Buffer.alloc(4)) ?? [];
  const offset = ${n.camel}CountsLayout.fields.find((f) => f.name === 'execs')!.offset;
  let newest = { lastNs: 0n, lastTgid: 0 };
  for (const v of values) {
    const c = ${n.camel}CountsLayout.decode(v);
    if (c.last_ns > newest.lastNs) newest = { lastNs: c.last_ns, lastTgid: c.last_tgid };
  }
  return { execs: sumPerCpuU64(values, offset), ...newest };
}

export class ${n.pascal}Tracer implements Tracer<${n.pascal}Settings> {
  private object: BpfObject | undefined;
  private execsTotal = 0;
  private lastInterval = 0;
  private fired = 0;

  async start(ctx: TracerContext<${n.pascal}Settings>): Promise<void> {
    // loadBpf opens build/bpf/${n.name}.bpf.o; the runtime closes it when the actor stops.
    this.object = await ctx.loadBpf(${n.upper}_OBJECT, { rodata: ${n.camel}Rodata(ctx.config.parentTgid) });
    this.object.attach();
    let previous = readCounts(this.object).execs;
    while (!ctx.signal.aborted) {
      await sleep(ctx.config.intervalMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) break;
      const counts = readCounts(this.object);
      const delta = Number(counts.execs - previous);
      previous = counts.execs;
      this.execsTotal = Number(counts.execs);
      this.lastInterval = delta;
      if (delta >= ctx.config.threshold && (await ctx.cooldown.tryArm())) {
        this.fired++;
        const data: ${n.pascal}EventData = { execs: delta, threshold: ctx.config.threshold, interval_ms: ctx.config.intervalMs, last_tgid: counts.lastTgid };
        await ctx.save({ data });
      }
    }
  }

  /** Manual capture: saves the counters now, bypassing the threshold. */
  async trigger(request: TriggerRequest, ctx: TracerContext<${n.pascal}Settings>): Promise<void> {
    const counts = this.object !== undefined && !this.object.closed ? readCounts(this.object) : { execs: 0n, lastTgid: 0 };
    const data: ${n.pascal}EventData = {
      execs: Number(counts.execs), threshold: ctx.config.threshold, interval_ms: ctx.config.intervalMs, last_tgid: counts.lastTgid, reason: request.reason ?? 'manual',
    };
    await ctx.save({ ...(request.containerId !== undefined ? { containerId: request.containerId } : {}), data });
  }

  update(): MetricSample[] {
    return [
      { name: '${n.name}_execs', value: this.execsTotal, kind: 'counter', help: 'execs counted by the ${n.name} BPF program' },
      { name: '${n.name}_execs_last_interval', value: this.lastInterval, help: 'execs in the last interval' },
      { name: '${n.name}_fired', value: this.fired, kind: 'counter', help: 'captures by the ${n.name} tracer' },
    ];
  }
}

// interval: seconds before start() runs again should it return (it only returns on stop).
// No settingsSchema: this tracer is in the catalog (catalog.ts), whose schema the supervisor
// applies in the main thread, so ctx.config arrives parsed with defaults and the worker never
// loads zod (its cost per actor: docs/runtime.md, "Settings and zod"). settingsSchema is for tracers outside the catalog
// (loaded from a modulePath), which the supervisor cannot validate for them.
registerTracer<${n.pascal}Settings>(
  '${n.name}',
  () => ({ tracer: new ${n.pascal}Tracer(), interval: 10, flags: Flag.Tracing | Flag.Metric }),
);
`;
}

export function bpfC(n: TracerNames): string {
  return `// SPDX-License-Identifier: GPL-2.0
/*
 * ${n.name}: counts execs per CPU (tp_btf/sched_process_exec, CO-RE). The TypeScript side
 * (${n.name}.ts) sums the per-CPU values of \`counts\`; struct ${n.name}_counts is declared in
 * ${n.name}.h and mirrored once in ${n.name}.ts. ${SCAFFOLD_MARK}.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "${n.name}.h"

/* Count only execs whose parent process has this tgid (0: every exec). */
const volatile __u32 parent_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ${n.name}_counts);
} counts SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(${n.name}_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ${n.name}_counts *c;
	__u32 zero = 0;

	if (parent_tgid && BPF_CORE_READ(p, real_parent, tgid) != parent_tgid)
		return 0;
	c = bpf_map_lookup_elem(&counts, &zero);
	if (!c)
		return 0;
	/* Per-CPU value: no other CPU writes it, so no atomics. */
	c->execs++;
	c->last_ns = bpf_ktime_get_ns();
	c->last_tgid = BPF_CORE_READ(p, tgid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;
}

export function bpfH(n: TracerNames): string {
  const guard = `AUTOTRACER_${n.upper}_H`;
  return `/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of ${n.name}.bpf.c; mirrored once in ${n.name}.ts (checked against BTF by test/${n.name}/tracer.test.ts).
   ${SCAFFOLD_MARK}. */
#ifndef ${guard}
#define ${guard}
#include "types.h"

/* The per-CPU value of map \`counts\`. */
struct ${n.name}_counts {
	__u64 execs;		/* execs seen on this CPU */
	__u64 last_ns;		/* bpf_ktime_get_ns() of the newest one */
	__u32 last_tgid;	/* its process id */
	__u32 pad;
};

#endif
`;
}

export function bpfTs(n: TracerNames): string {
  return `// TS side of ${n.name}.bpf.c / ${n.name}.h: declared once here, checked against the object's
// BTF by test/${n.name}/tracer.test.ts. ${SCAFFOLD_MARK}.
import { defineLayout, u32, u64 } from '../layout.js';

export const ${n.upper}_OBJECT = '${n.name}';
export const ${n.upper}_PROGRAM = '${n.name}_exec';
/** PERCPU_ARRAY, one struct ${n.name}_counts at key 0. */
export const ${n.upper}_MAP = 'counts';

export const ${n.camel}CountsLayout = defineLayout('${n.name}_counts', {
  execs: u64,
  last_ns: u64,
  last_tgid: u32,
  pad: u32,
});

/** rodata knobs: count only children of \`parentTgid\` (0: every exec). */
export function ${n.camel}Rodata(parentTgid = 0): { parent_tgid: number } {
  return { parent_tgid: parentTgid };
}
`;
}

export function testTs(n: TracerNames): string {
  return `// The ${n.name} tracer on the real kernel: its BPF object loads and attaches, the layout in
// ${n.name}.ts matches the object's BTF, and execs of this test's own children produce an
// event under the cooldown. ${SCAFFOLD_MARK}.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ${n.pascal}Tracer, type ${n.pascal}EventData } from '../../src/actors/tracers/${n.name}/index.js';
import { ${n.camel}SettingsSchema } from '../../src/actors/tracers/${n.name}/config.js';
import { ${n.upper}_OBJECT, ${n.camel}CountsLayout } from '../../src/native/bpf/${n.name}.js';
import { assertLayoutMatchesBtf } from '../support/btf-layout.js';
import { testContext } from '../support/tracer-context.js';

describe('${n.name} tracer', () => {
  it('struct ${n.name}_counts matches the BTF of ${n.name}.bpf.o', () => assertLayoutMatchesBtf(${n.upper}_OBJECT, ${n.camel}CountsLayout));

  it('sees the execs of its children and saves one event under the cooldown', async () => {
    const settings = ${n.camel}SettingsSchema.parse({ threshold: 3, intervalMs: 100, parentTgid: process.pid });
    const abort = new AbortController();
    const ctx = testContext('${n.name}', settings, abort.signal);
    const tracer = new ${n.pascal}Tracer();
    const running = tracer.start(ctx);
    try {
      const deadline = Date.now() + 10_000;
      while (ctx.saved.length === 0 && Date.now() < deadline) {
        for (let i = 0; i < 5; i++) spawnSync('/bin/true');
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.equal(ctx.saved.length, 1, 'one event, then the cooldown holds');
      const data = ctx.saved[0]!.data as ${n.pascal}EventData;
      assert.ok(data.execs >= 3, 'execs in the interval: ' + data.execs);
      assert.ok(data.last_tgid > 0);
      const execs = tracer.update().find((m) => m.name === '${n.name}_execs');
      assert.ok(execs !== undefined && execs.value >= 5);
    } finally {
      abort.abort();
      await running;
      ctx.closeAll();
    }
  });
});
`;
}
