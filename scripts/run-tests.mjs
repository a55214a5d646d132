// Runs the compiled node:test suites one file at a time (they share the host:
// cgroups, loop devices, BPF), with Node's own runner so CI can read its summary.
// `node scripts/run-tests.mjs native supervisor` runs only files whose path contains one of the words.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testDir = join(root, 'dist/test');
if (process.getuid?.() !== 0) {
  console.error('[test] the suite loads BPF programs and changes cgroups: run it as root');
  process.exit(1);
}
if (!existsSync(testDir)) {
  console.error('[test] dist/test is missing: run `npm test` (it builds first) or `npm run build`');
  process.exit(1);
}
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'support' ? [] : walk(p);
    return p.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = walk(testDir).sort().filter((f) => filters.length === 0 || filters.some((w) => relative(testDir, f).includes(w)));
if (files.length === 0) {
  console.error(`[test] no test file matches ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
// Two reporters: spec as the run goes, then the summary (every failed and skipped test by name,
// and a plain `tests: N passed, N failed, N skipped` closing line).
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts/summary-reporter.mjs')}`, '--test-reporter-destination=stdout'];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
