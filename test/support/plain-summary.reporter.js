/**
 * Prints one plain closing line, `Tests: N passed, N failed, N skipped`, after Jest's own summary, so
 * that any tool reading the end of the log (CI included) gets the counts without parsing Jest's format.
 */
export default class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
    );
  }
}
