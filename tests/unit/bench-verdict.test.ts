// `npm run bench`'s verdict: a missed goal or a broken benchmark fails the run, naming it; a skip is listed as skipped.
import { describe, expect, it } from 'vitest';
import { benchVerdict, verdictLines } from '../../bench/verdict.js';
import { formatResult, result, skippedResult, type BenchResult } from '../../bench/common.js';

const bench = (id: string, figure: number, goal: string, goalOn?: 'figure'): BenchResult =>
  result({
    id,
    title: id,
    figure: { value: figure, unit: 'x/s', what: 'measured' },
    baseline: { value: 100, unit: 'x/s', what: 'goal' },
    goal,
    ...(goalOn ? { goalOn } : {}),
    seconds: 1,
    details: {},
    notes: [],
  });

describe('benchVerdict', () => {
  it('exits 0 when every benchmark that ran met its goal', () => {
    const v = benchVerdict([bench('p3', 120, '>= 1'), bench('predict', 310, '>= 300', 'figure')]);
    expect(v).toMatchObject({ passed: ['p3', 'predict'], missed: [], skipped: [], broken: [], exitCode: 0 });
  });

  it('counts a benchmark without a goal as information, neither passed nor missed', () => {
    const info = bench('llm', 0.07, 'none set (information for choosing the embedded model)');
    expect(formatResult(info)).toContain('→ information');
    const v = benchVerdict([info]);
    expect(v).toMatchObject({ passed: [], information: ['llm'], missed: [], exitCode: 0 });
  });

  it('exits 1 on a missed goal and says which (the predict figure 236.9 against its goal 300)', () => {
    const v = benchVerdict([bench('p3', 120, '>= 1'), bench('predict', 236.9, '>= 300', 'figure')]);
    expect(v.exitCode).toBe(1);
    expect(v.passed).toEqual(['p3']);
    expect(v.missed).toEqual(['predict: figure >= 300 not met (figure 236.9 x/s)']);
    expect(verdictLines(v)).toContain('  predict: figure >= 300 not met (figure 236.9 x/s)');
    expect(verdictLines(v).at(-1)).toBe('npm run bench: FAILED (1 missed, 0 broken)');
  });

  it('reports a skipped benchmark as skipped, not passed, and a benchmark not run here likewise', () => {
    const skipped = skippedResult('p6', 'p6', 'x/s', '>= 1', 'no shared data: p6 skipped');
    expect(formatResult(skipped)).toContain('→ SKIPPED');
    const v = benchVerdict(
      [bench('p3', 120, '>= 1'), skipped],
      [{ id: 'p2-mpnet', title: 't', why: 'not run: no mpnet' }],
    );
    expect(v).toMatchObject({ passed: ['p3'], missed: [], exitCode: 0 });
    expect(v.skipped).toEqual(['p6: no shared data: p6 skipped', 'p2-mpnet: not run: no mpnet']);
    expect(verdictLines(v).at(-1)).toBe('npm run bench: every benchmark that ran met its goal (2 skipped)');
  });

  it('exits 1 on a benchmark with no verdict (NaN figure) or one whose process failed', () => {
    const v = benchVerdict([
      bench('p1', NaN, '>= 1'),
      { id: 'p5', title: 'p5', error: 'exited with code 1', seconds: 3 },
    ]);
    expect(v.exitCode).toBe(1);
    expect(v.missed).toEqual(['p1: no verdict (figure NaN x/s, goal ratio >= 1)']);
    expect(v.broken).toEqual(['p5: exited with code 1']);
  });
});
