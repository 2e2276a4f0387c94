// The fast mutation run: the engine's pure units against their own unit specs (minutes, not hours).
// `npm run mutate:units`. The full run (`npm run mutate`) adds the stateful engine and the Nest layer.
import base from './stryker.config.mjs';

const UNITS = [
  'dispatch/backoff',
  'queue/batch-key',
  'dispatch/concurrency-limit',
  'queue/dedupe-window',
  'ledger/log-throttle',
  'queue/memory-event-queue',
  'prepare/prepare-event',
  'ledger/redaction',
  'resolve-delivery-options',
  'dispatch/response-classifier',
  'dispatch/spotzee-problem',
  'dispatch/spotzee-success-body',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  jest: {
    ...base.jest,
    config: {
      roots: ['<rootDir>/test/delivery'],
      testMatch: ['<rootDir>/test/delivery/!(engine-)*.spec.ts'],
    },
  },
  mutate: UNITS.map((unit) => `lib/delivery/${unit}.ts`),
  timeoutMS: 10000,
  jsonReporter: { fileName: 'reports/mutation-units/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation-units/mutation.html' },
  incrementalFile: 'reports/mutation-units/stryker-incremental.json',
};
