import { existsSync } from 'node:fs';

/** Jest runs in ESM mode (`node --experimental-vm-modules`): that is how it loads Nest 12 on Node 20. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/sample-app'].filter((root) => existsSync(root.replace('<rootDir>', '.'))),
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
