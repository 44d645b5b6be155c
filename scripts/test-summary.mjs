// Prints "N passed, N failed[, N skipped]" from vitest's JSON report, the closing
// line of .ci/run. Exits 1 when the report is missing or unreadable.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.reports/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (error) {
  console.error(`cannot read ${path}: ${error.message}`);
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
// A test file that fails to load has no failed tests, only a failed suite: count it,
// so a broken import never reads as green.
const brokenFiles = report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0);
const failed = report.numFailedTests + brokenFiles.length;
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
