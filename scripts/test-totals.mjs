// Sums vitest JSON reports into one plain line, `N passed, N failed[, N skipped]`, and exits 1
// when anything failed or a report is missing (CI reads this line, not vitest's summary). Failed
// tests are listed above that line with their file and first message line, because CI keeps only
// the tail of the log.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const file of files.length ? files : ['.test-results/node-default.json']) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`no test report at ${file}: ${e.message}`);
    failed++;
    continue;
  }
  const pass = path.basename(file, '.json');
  passed += report.numPassedTests ?? 0;
  for (const f of report.testResults ?? []) {
    const where = path.relative(process.cwd(), f.name ?? '?');
    const tests = f.assertionResults ?? [];
    // A file that crashed before running any test counts as a failure too.
    if (f.status === 'failed' && tests.length === 0) {
      failed++;
      failures.push(`[${pass}] ${where}: ${firstLine(f.message)}`);
    }
    for (const t of tests) {
      if (t.status === 'failed')
        failures.push(`[${pass}] ${where} > ${t.fullName}: ${firstLine((t.failureMessages ?? [])[0])}`);
    }
  }
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
if (failures.length) console.log(`FAILED:\n${failures.map((l) => `  ${l}`).join('\n')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function firstLine(msg) {
  return (
    String(msg ?? 'no message')
      .split('\n')
      .find((l) => l.trim()) ?? 'no message'
  );
}
