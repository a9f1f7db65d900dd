import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const libraryInternals = {
  regex: '^(@[^/.][^/]*/)?[^/.][^/]*/(dist|lib|build|src|internal|cjs|esm)(/|$)',
  message: "Import the package's public entry point, not its internals.",
};

export default tseslint.config(
  { ignores: ['dist/**', 'generated/**', 'node_modules/**', 'data/**', '.wireit/**', '.toolchain/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // A library's internals (its dist/, lib/, src/… folders) are not its API: an upgrade can
    // change them without notice. Production code imports packages by their public entry points.
    files: [
      'common/src/**/*.ts',
      'gateway/src/**/*.ts',
      'auth-service/src/**/*.ts',
      'migrations/**/*.ts',
      'scripts/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: [libraryInternals] }] },
  },
  {
    // The two programs query through their data-access module (common/src/sql); Knex
    // builds the schema only, in the migrations (common/src/migrations.ts runs them).
    files: ['gateway/src/**/*.ts', 'auth-service/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            libraryInternals,
            {
              regex: '^knex(/|$)|/common/src/database$',
              message: 'Knex is for migrations only: query through common/src/sql.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off', 'no-console': 'off' },
  },
);
