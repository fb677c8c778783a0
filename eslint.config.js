// ESLint flat config: recommended rules, type-aware promise rules everywhere, and determinism rules for workflows/.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Node's built-in modules, bare ('fs') and prefixed ('node:fs'), subpaths included ('fs/promises').
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

export default tseslint.config(
  {
    ignores: ['node_modules/', '.tools/', '.clinsynth/', 'runs/', 'tests/fixtures/', 'tests/histories/', 'bench/py/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: the project's tsconfig gives the types (one program for the whole tree, which keeps lint fast).
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits is an error nobody sees (in a workflow: a command that may run after the workflow ends).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // As tsconfig: unused locals are errors, unused parameters are allowed (noUnusedParameters is off).
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Outside tsconfig's program (the ESLint config itself, the vitest drills config): recommended rules only.
    files: ['eslint.config.js', 'vitest.drills.config.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { project: null } },
  },
  {
    // Tests read untyped JSON (reports, recorded answers) and index into it.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS on purpose (lib/run/failure-converter.cjs: the worker require()s it and the bundler includes it).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ignores: ['client/view/assets/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The viewer's browser script.
    files: ['client/view/assets/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        console: 'readonly',
        URLSearchParams: 'readonly',
        URL: 'readonly',
        location: 'readonly',
        history: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        HTMLElement: 'readonly',
        Event: 'readonly',
        EventSource: 'readonly',
        vegaEmbed: 'readonly',
      },
    },
  },
  {
    // Workflow code is replayed: it must be deterministic and may not touch the machine (Temporal's sandbox).
    // tests/fixtures/lint/workflows/ holds one file per broken rule (tests/unit/lint.test.ts shows each fires).
    files: ['workflows/**/*.ts', 'tests/fixtures/lint/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'workflows/ may not use Node built-ins (an activity may).',
          })),
          patterns: [
            {
              group: ['node:*', ...nodeBuiltins.map((m) => `${m}/*`)],
              message: 'workflows/ may not use Node built-ins (an activity may).',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'workflows/ take time from the workflow, not the clock.' },
        {
          object: 'Math',
          property: 'random',
          message: 'workflows/ may not use randomness (replay must decide alike).',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'NewExpression[callee.name="Date"][arguments.length=0]',
          message: 'workflows/ may not read the clock (new Date() without arguments).',
        },
        { selector: 'CallExpression[callee.name="Date"]', message: 'workflows/ may not read the clock (Date()).' },
        {
          selector: 'ImportExpression > Literal[value=/^node:/]',
          message: 'workflows/ may not use Node built-ins (an activity may).',
        },
      ],
    },
  },
);
