// Sums vitest JSON reports into one plain line, `N passed, N failed[, N skipped]`, and exits 1
// when anything failed or a report is missing (CI reads this line, not vitest's summary).
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files.length ? files : ['.test-results/node-default.json']) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`no test report at ${file}: ${e.message}`);
    failed++;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  // A file that crashed before running any test counts as a failure too.
  const crashed = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
  ).length;
  failed += (report.numFailedTests ?? 0) + crashed;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
