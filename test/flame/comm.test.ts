// Process names are attacker-controlled: any process can call itself "a\nb;c 9999". Before
// the fix such a comm split the folded line (FLAME_BAD_PROFILE for every flame graph that
// sampled it) or invented frames and counts. A real process renames itself, a real capture
// samples it, and its frame label must come out escaped and round-trip through folded text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureProfile } from '../../src/capture/capture-profile.js';
import { formatFolded, parseFolded, sanitizeFrameLabel } from '../../src/capture/flamedata.js';
import { closeCapturePool } from '../../src/capture/symbolize-pool.js';
import { renderEventFlame } from '../../src/flame/index.js';
import type { EventDocument } from '../../src/event/index.js';
import { spawnWorkload, waitFor } from '../support/host.js';
import { readFileSync } from 'node:fs';

test('sanitizeFrameLabel escapes control characters and the folded separator', () => {
  assert.equal(sanitizeFrameLabel('ev\nx;y 9999'), 'ev\\x0ax:y 9999');
  assert.equal(sanitizeFrameLabel('\u001b[31mred'), '\\x1b[31mred');
  assert.equal(sanitizeFrameLabel('kworker/0:1'), 'kworker/0:1');
  assert.equal(sanitizeFrameLabel(''), '[unnamed]');
});

test('a process named "ev\\nx;y 9999" is sampled under one escaped frame, and its flame graph renders', async (t) => {
  // The process renames itself (only a thread may write its own comm) in one write(2): a
  // shell's printf writes line by line, and each write replaces the whole comm.
  const spinner = spawnWorkload(process.execPath, ['-e', 'require("fs").writeFileSync("/proc/self/comm", "ev\\nx;y 9999"); for (;;) {}']);
  t.after(async () => {
    await spinner.kill();
    await closeCapturePool();
  });
  await waitFor(() => readFileSync(`/proc/${spinner.pid}/comm`, 'utf8').startsWith('ev\n') || undefined, { timeoutMs: 5000, what: 'the new comm' });
  const r = await captureProfile({ durationMs: 1500 });
  const roots = new Set(r.folded.map((f) => f.stack[0]));
  assert.ok(roots.has('ev\\x0ax:y 9999'), `the spinner's frame: roots ${[...roots].slice(0, 30).join(' | ')}`);
  for (const root of roots) assert.doesNotMatch(root ?? '', /[\n\r;\u0000-\u001f]/, `raw root frame ${JSON.stringify(root)}`);
  const text = formatFolded(r.folded);
  const parsed = parseFolded(text);
  assert.equal(parsed.reduce((n, s) => n + s.count, 0), r.samples, 'folded text round-trips every sample');
  assert.equal(parsed.length, r.folded.length);
  const time = new Date().toISOString();
  const doc = { tracer_id: 'x', tracer_name: 'cpusys', tracer_type: 'manual', tracer_time: time, uploaded_time: time, hostname: 'h', region: '', container_id: '', container_hostname: '', tracer_data: { folded: text } } as unknown as EventDocument;
  const svg = renderEventFlame(doc, 'svg');
  assert.match(String(svg), /ev\\x0ax:y 9999/);
});
