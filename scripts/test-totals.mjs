// Sums vitest JSON reports into one plain line, `N passed, N failed[, N skipped]`, and exits 1
// when anything failed, a report is missing, a pass exited non-zero or a problem was handed in
// (CI reads this line, not vitest's summary). Failed tests are listed above that line with their
// file and first message line, because CI keeps only the tail of the log.
//   node scripts/test-totals.mjs [--coverage summary.json] [--problem TEXT]... report.json[:exit]...
// `:exit` is the vitest exit status of that pass: non-zero with no failed test means coverage
// under its floor or an error outside a test. `--coverage` prints the json-summary's percentages.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const { reports, coverage, problems } = parseArgs(process.argv.slice(2));
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [...problems];
for (const { file, exit } of reports.length ? reports : [{ file: '.test-results/node-default.json' }]) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`no test report at ${file}: ${e.message}`);
    failed++;
    continue;
  }
  const pass = path.basename(file, '.json');
  const failedBefore = failures.length;
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
  if (exit && failures.length === failedBefore) {
    failures.push(
      `[${pass}] vitest exited ${exit} with no failed test: coverage under its floor (thresholds in ` +
        'vitest.config.ts) or an error outside a test; see "ERROR" in that pass\'s log',
    );
  }
}
if (coverage) printCoverage(coverage);
if (failures.length) console.log(`FAILED:\n${failures.map((l) => `  ${l}`).join('\n')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || failures.length > 0 ? 1 : 0);

function parseArgs(args) {
  const out = { reports: [], coverage: undefined, problems: [] };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--coverage') out.coverage = args[++i];
    else if (args[i] === '--problem') out.problems.push(args[++i]);
    else {
      const m = /^(.*):(\d+)$/.exec(args[i]);
      out.reports.push(m ? { file: m[1], exit: Number(m[2]) } : { file: args[i] });
    }
  }
  return out;
}

// One line, e.g. `coverage of src/: lines 79.2%, statements 77.59%, functions 76.61%, branches 69.68%`.
function printCoverage(file) {
  let total;
  try {
    total = JSON.parse(readFileSync(file, 'utf8')).total;
  } catch (e) {
    failures.push(`no coverage summary at ${file}: ${e.message}`);
    return;
  }
  const parts = ['lines', 'statements', 'functions', 'branches'].map((k) => `${k} ${total[k]?.pct ?? '?'}%`);
  console.log(`coverage of src/: ${parts.join(', ')}`);
}

function firstLine(msg) {
  return (
    String(msg ?? 'no message')
      .split('\n')
      .find((l) => l.trim()) ?? 'no message'
  );
}
