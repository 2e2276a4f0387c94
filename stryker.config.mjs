// Mutation testing: `npm run mutate` (not part of CI: a full run takes hours on a 2-core machine).
// Narrow a run with `npm run mutate -- --mutate lib/delivery/dispatch/backoff.ts`. MUTATION.md holds the last report.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // Jest loads Nest 12 only in ESM mode.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // The suites that exercise the engine and the Nest layer; consumers and the sample app install or build
    // packages and would only slow every mutant down.
    config: { roots: ['<rootDir>/test/delivery', '<rootDir>/test/nest', '<rootDir>/test/proof'] },
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'lib/delivery/**/*.ts',
    'lib/*.ts',
    '!lib/**/index.ts',
    '!lib/**/*.messages.ts',
    '!lib/delivery/version.ts',
    '!lib/**/*.interface.ts',
  ],
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 85, low: 80, break: null },
  tempDirName: '.stryker-tmp',
};
