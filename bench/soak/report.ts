// The soak's verdict: one row per check (name, measured value, limit, PASS/FAIL) on stdout,
// plus informational rows. The names are stable: test/soak/soak.test.ts asserts each one.

export const CHECK_NAMES = [
  'acked-equals-es',
  'no-duplicates',
  'drained',
  'canary-gap',
  'rss-growth',
  'fds-leaked',
  'bpf-leaked',
  'faults-classified',
  'driven-tracers-fired',
  'uninjected-crashes',
  'agent-exit',
  'host-restored',
  'disk-full',
  'connection-flood',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckRow {
  name: CheckName;
  value: string;
  limit: string;
  ok: boolean;
}

export class Report {
  readonly checks: CheckRow[] = [];
  readonly info: { name: string; value: string }[] = [];

  check(name: CheckName, value: string, limit: string, ok: boolean): void {
    this.checks.push({ name, value, limit, ok });
  }

  note(name: string, value: string): void {
    this.info.push({ name, value });
  }

  get failed(): CheckRow[] {
    return this.checks.filter((c) => !c.ok);
  }

  render(): string {
    const w1 = Math.max(...this.checks.map((c) => c.name.length), ...this.info.map((i) => i.name.length), 5);
    const w2 = Math.max(...this.checks.map((c) => c.value.length), 5);
    const w3 = Math.max(...this.checks.map((c) => c.limit.length), 5);
    const lines = [
      `| ${'check'.padEnd(w1)} | ${'value'.padEnd(w2)} | ${'limit'.padEnd(w3)} | result |`,
      `|${'-'.repeat(w1 + 2)}|${'-'.repeat(w2 + 2)}|${'-'.repeat(w3 + 2)}|--------|`,
      ...this.checks.map((c) => `| ${c.name.padEnd(w1)} | ${c.value.padEnd(w2)} | ${c.limit.padEnd(w3)} | ${c.ok ? 'PASS' : 'FAIL'}   |`),
      '',
      ...this.info.map((i) => `${i.name.padEnd(w1)}  ${i.value}`),
      '',
      this.failed.length === 0 ? 'SOAK PASSED' : `SOAK FAILED: ${this.failed.map((c) => c.name).join(', ')}`,
    ];
    return lines.join('\n');
  }
}
