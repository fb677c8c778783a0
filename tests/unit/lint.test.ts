// The project's ESLint config catches what breaks a workflow: a fixture per rule fails with that rule; a clean one passes.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const FIXTURES = 'tests/fixtures/lint/workflows';

// The project's eslint.config.js, with tests/fixtures/ linted (the tree's lint ignores it) and the type-aware rules
// given the fixtures' own small tsconfig (the same compiler options; a program of seven files loads in seconds).
const eslint = new ESLint({
  cwd: PROJECT_ROOT,
  ignore: false,
  overrideConfig: {
    files: [`${FIXTURES}/**/*.ts`],
    languageOptions: { parserOptions: { project: join(PROJECT_ROOT, 'tests/fixtures/lint/tsconfig.json') } },
  },
});

async function problems(file: string) {
  const [result] = await eslint.lintFiles([join(PROJECT_ROOT, FIXTURES, file)]);
  return (result?.messages ?? []).map((m) => `${m.line}: ${m.ruleId}`);
}

describe('eslint.config.js on workflow code', () => {
  it.each([
    ['floating-promise.ts', '5: @typescript-eslint/no-floating-promises'],
    ['node-import.ts', '2: no-restricted-imports'],
    ['bare-import.ts', '2: no-restricted-imports'],
    ['date-now.ts', '3: no-restricted-properties'],
    ['math-random.ts', '3: no-restricted-properties'],
    ['new-date.ts', '3: no-restricted-syntax'],
  ])('%s fails with exactly %s', async (file, expected) => {
    expect(await problems(file)).toEqual([expected]);
  });

  it('passes a workflow that awaits its timer, says `void` where it drops a promise, and reads no clock', async () => {
    expect(await problems('clean.ts')).toEqual([]);
  });

  it('applies the determinism rules to workflows/ and not to activities/', async () => {
    const config = async (file: string) =>
      (await eslint.calculateConfigForFile(join(PROJECT_ROOT, file))) as {
        rules: Record<string, unknown>;
      };
    const workflow = await config('workflows/experiment.ts');
    const activity = await config('activities/run.ts');
    for (const rule of ['no-restricted-imports', 'no-restricted-properties', 'no-restricted-syntax']) {
      expect(workflow.rules[rule], rule).toEqual(expect.arrayContaining([2]));
      expect(activity.rules[rule], rule).toBeUndefined();
    }
    for (const rule of ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises'])
      for (const c of [workflow, activity]) expect(c.rules[rule], rule).toEqual([2]);
  });
});
