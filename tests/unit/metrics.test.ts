// Unit tests for lib/evaluate/metrics.ts: hand-computed cases and scikit-learn reference numbers.
import { describe, expect, it } from 'vitest';
import { agreement, meanSd, multilabelMetrics } from '../../lib/evaluate/metrics.js';

describe('multilabelMetrics', () => {
  it('matches a hand-computed case', () => {
    // a: TP 1, FP 1, FN 1 → P 0.5, R 0.5, F1 0.5; b: TP 1, FP 0, FN 0 → 1; c: never gold, never predicted → 0 (zero_division=0)
    const m = multilabelMetrics([['a', 'b'], ['a'], []], [['a', 'b'], [], ['a']], ['a', 'b', 'c']);
    expect(m.perLabel.a).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(m.perLabel.b).toEqual({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(m.perLabel.c).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    // micro: TP 2, FP 1, FN 1
    expect(m.microPrecision).toBeCloseTo(2 / 3, 12);
    expect(m.microRecall).toBeCloseTo(2 / 3, 12);
    expect(m.microF1).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo(1.5 / 3, 12); // support-0 label c counts, as in scikit-learn
    expect(m.macroF1Supported).toBeCloseTo(0.75, 12);
  });

  it('matches scikit-learn 1.9.1 on a fixed case', () => {
    // Expected numbers from scikit-learn 1.9.1 (pip install --target /tmp/skl scikit-learn), via
    // MultiLabelBinarizer(classes=labels) and precision_recall_fscore_support(..., average=None, zero_division=0),
    // f1_score / precision_score / recall_score(average='micro'|'macro', zero_division=0).
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const gold = [['a', 'b'], ['a'], [], ['b', 'c'], ['a', 'c'], ['c'], ['a', 'b', 'c'], [], ['b'], ['a']];
    const pred = [['a'], ['a', 'b'], ['b'], ['c'], ['a', 'c', 'd'], [], ['a', 'b'], ['d'], ['b', 'c'], []];
    const m = multilabelMetrics(gold, pred, labels);
    const sk: Record<string, [number, number, number, number]> = {
      a: [1.0, 0.8, 0.8888888888888888, 5],
      b: [0.5, 0.5, 0.5, 4],
      c: [0.6666666666666666, 0.5, 0.5714285714285714, 4],
      d: [0, 0, 0, 0],
      e: [0, 0, 0, 0],
    };
    for (const l of labels) {
      const [p, r, f, s] = sk[l]!;
      expect(m.perLabel[l]!.precision).toBeCloseTo(p, 12);
      expect(m.perLabel[l]!.recall).toBeCloseTo(r, 12);
      expect(m.perLabel[l]!.f1).toBeCloseTo(f, 12);
      expect(m.perLabel[l]!.support).toBe(s);
    }
    expect(m.microF1).toBeCloseTo(0.6153846153846154, 12);
    expect(m.microPrecision).toBeCloseTo(0.6153846153846154, 12);
    expect(m.microRecall).toBeCloseTo(0.6153846153846154, 12);
    expect(m.macroF1).toBeCloseTo(0.39206349206349206, 12);
  });

  it('ignores labels outside the list, duplicates and order', () => {
    const m = multilabelMetrics([['a', 'zzz']], [['a', 'a', 'yyy']], ['a']);
    expect(m.perLabel.a).toEqual({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(m.microF1).toBe(1);
    expect(Object.keys(m.perLabel)).toEqual(['a']);
  });

  it('scores nothing-predicted-nothing-gold as 0, never NaN', () => {
    const m = multilabelMetrics([[], []], [[], []], ['a', 'b']);
    expect(m.microF1).toBe(0);
    expect(m.macroF1).toBe(0);
    expect(m.macroF1Supported).toBe(0);
  });

  it('rejects mismatched lengths', () => {
    expect(() => multilabelMetrics([[]], [], ['a'])).toThrow(/1 gold rows but 0 predictions/);
  });
});

describe('meanSd', () => {
  it('uses the sample sd (n − 1)', () => {
    const { mean, sd } = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(mean).toBe(5);
    expect(sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });
  it('gives sd 0 for one value and throws for none', () => {
    expect(meanSd([0.7])).toEqual({ mean: 0.7, sd: 0 });
    expect(() => meanSd([])).toThrow(RangeError);
  });
});

describe('agreement', () => {
  it('treats the LLM as the predictor and adds exact match', () => {
    const gold = [['a'], ['b'], [], ['a', 'b']];
    const llm = [['a'], ['a'], [], ['b', 'a', 'x']];
    const ag = agreement(gold, llm, ['a', 'b']);
    const m = multilabelMetrics(gold, llm, ['a', 'b']);
    expect(ag.microF1).toBe(m.microF1);
    expect(ag.perLabel).toEqual(m.perLabel);
    expect(ag.n).toBe(4);
    expect(ag.exactMatch).toBe(0.75); // row 4 matches once the unknown label x is dropped
  });
});
