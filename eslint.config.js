import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Lint for correctness, not style (Prettier owns the layout). The one architectural rule: `lib/delivery` is the
 * framework-free engine, so it imports nothing from Nest and nothing from outside its own folder.
 */
export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'dist-sample/**',
      'coverage/**',
      'bench/results/**',
      '.tmp/**',
      'reports/**',
      '.stryker-tmp/**',
      'test/consumers/fixtures/**/node_modules/**',
      // Exactly what `nest new` generates, kept byte for byte: the quick-start test depends on it.
      'test/consumers/fixtures/nest11-new/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        clearImmediate: 'readonly',
        queueMicrotask: 'readonly',
        globalThis: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        document: 'readonly',
        window: 'readonly',
        EventSource: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      curly: ['error', 'multi-line'],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // lib/delivery reads as four units (prepare, queue, dispatch, ledger) wired by delivery-engine.ts: a
  // file may import across units, never out of lib/delivery.
  ...[
    { files: ['lib/delivery/*.ts'], outside: ['../*', '../**'] },
    { files: ['lib/delivery/*/*.ts'], outside: ['../../*', '../../**'] },
  ].map(({ files, outside }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*'],
              message: 'lib/delivery is the framework-free engine: it must not import Nest.',
            },
            {
              group: outside,
              message: 'lib/delivery imports only from itself and node: built-ins; move shared code into lib/delivery.',
            },
          ],
        },
      ],
    },
  })),
  {
    // Tests read JSON bodies and poke at internals on purpose; `any` is the honest type there.
    files: ['test/**/*.ts', 'sample-app/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
