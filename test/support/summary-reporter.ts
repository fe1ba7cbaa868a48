import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with the skipped tests by name (their names say why) and one plain 'N passed, N failed,
 * N skipped' line that CI and humans can read at a glance.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const skipped: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else {
          counts.skipped++;
          skipped.push(`  skipped: ${mod.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`);
        }
      }
      // A module that failed to load (syntax error, throwing import) has no tests but is a failure.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) counts.failed++;
    }
    // A skip is never silent: each one is named, and its name carries the reason (see requirements.ts).
    if (skipped.length) process.stdout.write(`\n${skipped.join('\n')}\n`);
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
