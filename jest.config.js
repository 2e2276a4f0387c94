import { existsSync } from 'node:fs';

/** Jest runs in ESM mode (`node --experimental-vm-modules`): that is how it loads Nest 12 on Node 20. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/sample-app'].filter((root) => existsSync(root.replace('<rootDir>', '.'))),
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // A consumer app's own tests (the `nest new` app keeps its generated names) run in that app, not here.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumers/fixtures/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // Tests and the sample app import the package by its name, like users do; map it to the sources.
    '^nestjs-spotzee$': '<rootDir>/lib/index.ts',
    '^nestjs-spotzee/(.*)$': '<rootDir>/lib/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  reporters: ['default', '<rootDir>/test/support/plain-summary.reporter.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};
