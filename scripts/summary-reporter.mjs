// A node:test reporter that prints, once the whole run is over, the names of every failed and
// skipped test with its file, then one plain closing line `tests: N passed, N failed, N skipped`.
// The spec reporter's output scrolls by for minutes; a CI log should still say *which* test
// failed or was skipped without anybody scrolling back through it.
import { relative } from 'node:path';

const root = process.cwd();

function where(data) {
  return data.file === undefined ? '(unknown file)' : relative(root, data.file);
}

export default async function* summaryReporter(source) {
  const failed = [];
  const skipped = [];
  let passed = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    // A suite fails when one of its tests failed: that test is listed, the suite adds nothing.
    // A suite that failed by itself (a hook threw, the file did not load) is listed.
    const isSuite = data.details?.type === 'suite';
    if (event.type === 'test:fail') {
      if (isSuite && data.details?.error?.failureType === 'subtestsFailed') continue;
      const message = String(data.details?.error?.cause?.message ?? data.details?.error?.message ?? '').split('\n')[0];
      failed.push(`  ✖ ${where(data)} › ${data.name}${message ? ` — ${message}` : ''}`);
      continue;
    }
    if (isSuite) continue;
    if (data.skip !== undefined || data.todo !== undefined) {
      const reason = typeof data.skip === 'string' ? data.skip : typeof data.todo === 'string' ? `todo: ${data.todo}` : 'no reason given';
      skipped.push(`  - ${where(data)} › ${data.name} (${reason})`);
      continue;
    }
    passed++;
  }
  yield '\n';
  yield failed.length === 0 ? '[test] no test failed\n' : `[test] failed (${failed.length}):\n${failed.join('\n')}\n`;
  yield skipped.length === 0 ? '[test] no test skipped\n' : `[test] skipped (${skipped.length}):\n${skipped.join('\n')}\n`;
  yield `tests: ${passed} passed, ${failed.length} failed, ${skipped.length} skipped\n`;
}
