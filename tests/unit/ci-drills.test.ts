// The drills CI runs (.ci/run) exist, are the ones docs/drills.md names as CI's, and `npm run drills` runs them all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const ciRun = readFileSync(join(PROJECT_ROOT, '.ci/run'), 'utf8');
const ciDrills = [...ciRun.matchAll(/tests\/drills\/([a-z-]+)\.test\.ts/g)].map((m) => m[1]!);
const allDrills = readdirSync(join(PROJECT_ROOT, 'tests/drills'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.test\.ts$/, ''));

describe('drills in CI', () => {
  it('CI names drill files that exist, and runs the README test command first', () => {
    expect(ciDrills.length).toBeGreaterThan(0);
    for (const d of ciDrills) expect(allDrills).toContain(d);
    expect(ciRun.indexOf('npm test')).toBeGreaterThan(0);
    expect(ciRun.indexOf('npm test')).toBeLessThan(ciRun.indexOf('tests/drills/'));
  });

  it('docs/drills.md says which drills CI runs and which only npm run drills runs', () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/drills.md'), 'utf8');
    const ciLine = doc.slice(doc.indexOf('CI (`.ci/run`)'), doc.indexOf('| drill |'));
    const names: Record<string, string> = {
      'label-studio': 'real Label Studio',
      review: 'human review',
      'endpoint-faults': 'endpoint faults',
      'study-crash': 'study crash loop',
      'crash-loop': 'worker crash loop',
      outage: 'outage',
      batch: 'batch mode',
    };
    expect(Object.keys(names).sort()).toEqual([...allDrills].sort());
    const [inCi, notInCi] = ciLine.split('(about 7 minutes)');
    for (const d of allDrills) {
      const said = ciDrills.includes(d) ? inCi : notInCi;
      expect(said, `${d} (${ciDrills.includes(d) ? 'in CI' : 'not in CI'})`).toContain(names[d]);
    }
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.drills).toMatch(/vitest run --config vitest\.drills\.config\.ts$/);
  });
});
