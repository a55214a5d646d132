// Issue 13.3: BPF run-time stats are host-wide (every BPF program on the host is timed while
// any bpf_enable_stats handle is open), so the agent must not hold one by default. They are
// switched on only for a measuring window (`autotracer cost`, bench) or when configured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentConfig, tracerSpecsFrom } from '../../src/config/load.js';
import { tracerSpec } from '../../src/supervisor/spec.js';

test('a default config holds no BPF run-time stats handle for any tracer', () => {
  const config = parseAgentConfig({ tracers: { waitrate: { enabled: true } } });
  const specs = tracerSpecsFrom(config);
  assert.ok(specs.length > 0, 'some tracers are enabled by default');
  for (const spec of specs) assert.equal(spec.bpfStats, false, `tracers.${spec.name}.bpfStats defaults to off`);
});

test('a tracer spec built without the key leaves stats off; the config key still turns them on', () => {
  assert.equal(tracerSpec({ name: 'x', modulePath: '/nonexistent.js' }).bpfStats, false);
  const config = parseAgentConfig({ tracers: { waitrate: { enabled: true, bpfStats: true } } });
  assert.equal(tracerSpecsFrom(config).find((s) => s.name === 'waitrate')?.bpfStats, true);
});
