// Unit tests for lib/evaluate/paired-bootstrap.ts: hand-computed deltas, degenerate cases, Holm, numpy percentiles.
import { describe, expect, it } from 'vitest';
import {
  holm,
  pairedComparison,
  percentile,
  prepareComparison,
  type PairedComparisonInput,
} from '../../lib/evaluate/paired-bootstrap.js';
import { mulberry32 } from '../../lib/run/random.js';

// Two labels, four sentences in clusters n1, n1, n2 and a lone one.
const small = {
  labels: ['a', 'b'],
  gold: [['a'], ['b'], ['a', 'b'], []],
  clusters: ['n1', 'n1', 'n2', undefined],
  system: [
    [['a'], ['b'], ['a', 'b'], []], // perfect: F1 a 1, b 1; macro 1, micro 1
    [['a'], [], ['a'], ['a']], // a: TP 2 FP 1 → 0.8; b: FN 2 → 0; macro 0.4; micro TP 2 FP 1 FN 2 → 4/7
  ],
  baseline: [[[], [], [], []]], // one seed, predicts nothing: every F1 0
};

/** `n` sentences in notes of 5, `labels` labels; each seed finds a gold label with prob `recall` and adds a false one with prob `noise`. */
function synthetic(
  n: number,
  nLabels: number,
  seed: number,
  systems: { seeds: number; recall: number; noise: number }[],
) {
  const rand = mulberry32(seed);
  const labels = Array.from({ length: nLabels }, (_v, i) => `L${i}`);
  const gold = Array.from({ length: n }, () => labels.filter((_l, i) => rand() < 0.3 / (1 + i / 3)));
  const clusters = Array.from({ length: n }, (_v, i) => `note${Math.floor(i / 5)}`);
  const predict = (recall: number, noise: number) =>
    gold.map((g) => labels.filter((l) => (g.includes(l) ? rand() < recall : rand() < noise)));
  const out = systems.map((s) => Array.from({ length: s.seeds }, () => predict(s.recall, s.noise)));
  return { labels, gold, clusters, out };
}

describe('percentile', () => {
  it('matches numpy.percentile (linear) on hand-checked values', () => {
    const a = [0.3, -1.2, 5.0, 2.2, 0.0, 7.5, 3.3, -0.4, 1.1, 9.9, 4.4].sort((x, y) => x - y);
    // numpy 2.4.6: np.percentile(a, q)
    const expected: [number, number][] = [
      [0, -1.2],
      [2.5, -1.0],
      [25, 0.15],
      [50, 2.2],
      [97.5, 9.3],
      [100, 9.9],
      [33.3, 0.5639999999999997],
    ];
    for (const [q, v] of expected) expect(percentile(a, q)).toBeCloseTo(v, 14);
    expect(percentile(new Float64Array([1, 2, 3, 4]), 25)).toBe(1.75);
    expect(percentile([5], 97.5)).toBe(5);
  });

  it('rejects empty or unsorted input and q outside [0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([2, 1], 50)).toThrow(/sorted/);
    expect(() => percentile([1, 2], 101)).toThrow(RangeError);
  });
});

describe('holm', () => {
  it('matches hand-computed Holm–Bonferroni adjustments in input order', () => {
    // sorted 0.005, 0.01, 0.03, 0.04 → 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06
    const adj = holm([0.01, 0.04, 0.03, 0.005]);
    const want = [0.03, 0.06, 0.06, 0.02];
    adj.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 15));
  });

  it('clips to 1, keeps monotonicity, handles ties and the empty list', () => {
    expect(holm([0.5, 0.6])).toEqual([1, 1]);
    expect(holm([0.01, 0.01, 0.2])).toEqual([0.03, 0.03, 0.2]);
    expect(holm([0.04])).toEqual([0.04]);
    expect(holm([])).toEqual([]);
    expect(() => holm([1.5])).toThrow(RangeError);
  });
});

describe('pairedComparison', () => {
  it('computes deltas as the mean over seeds of each seed F1 (not F1 of mean counts), support-0 labels included', () => {
    const r = pairedComparison({ ...small, resamples: 200, alpha: 0.05, seed: 1 });
    expect(r.macroF1.delta).toBeCloseTo((1 + 0.4) / 2, 15);
    expect(r.microF1.delta).toBeCloseTo((1 + 4 / 7) / 2, 15);
    expect(r.perLabel.a!.delta).toBeCloseTo(0.9, 15); // F1 of the mean counts would be 2·2/(2·2+0.5) = 0.889
    expect(r.perLabel.b!.delta).toBeCloseTo(0.5, 15);
    // A label nobody has and nobody predicts scores 0 on both sides (zero_division=0) but still counts in the macro mean.
    const r3 = pairedComparison({ ...small, labels: ['a', 'b', 'c'], resamples: 50, alpha: 0.05, seed: 1 });
    expect(r3.perLabel.c).toEqual({ delta: 0, ci: [0, 0] });
    expect(r3.macroF1.delta).toBeCloseTo(((1 + 0.4) / 2) * (2 / 3), 15);
    expect(r3.microF1.delta).toBeCloseTo(r.microF1.delta, 15);
  });

  it('exposes the exact statistics: full weights give the delta, no flips give it too, all flips give its negative', () => {
    const prep = prepareComparison(small);
    expect(prep.nClusters).toBe(3);
    expect(prep.clusterNames).toEqual(['n1', 'n2', '#3']);
    const full = prep.deltaAt([1, 1, 1]);
    expect(full.macroF1).toBeCloseTo(0.7, 15);
    expect(prep.permutedDelta([0, 0, 0]).macroF1).toBeCloseTo(0.7, 15);
    expect(prep.permutedDelta([1, 1, 1]).macroF1).toBeCloseTo(-0.7, 15);
    expect(prep.permutedDelta([true, true, true]).microF1).toBeCloseTo(-full.microF1, 15);
    // Only cluster n2 (sentence 2): system seeds score a 1, b 1 and a 1, b 0; baseline 0 → macro (1 + 0.5)/2.
    expect(prep.deltaAt([0, 1, 0]).macroF1).toBeCloseTo(0.75, 15);
    // Doubling every cluster changes no F1.
    expect(prep.deltaAt([2, 2, 2]).macroF1).toBeCloseTo(0.7, 15);
  });

  it('identical systems: delta 0, CI [0, 0], p = 1', () => {
    const { labels, gold, clusters, out } = synthetic(120, 6, 3, [{ seeds: 3, recall: 0.7, noise: 0.05 }]);
    const sys = out[0]!;
    const r = pairedComparison({
      gold,
      clusters,
      labels,
      system: sys,
      baseline: sys,
      resamples: 500,
      alpha: 0.05,
      seed: 9,
    });
    for (const m of [r.macroF1, r.microF1]) {
      expect(m.delta).toBe(0);
      expect(m.ci).toEqual([0, 0]);
      expect(m.p).toBe(1);
    }
    for (const l of labels) expect(r.perLabel[l]).toEqual({ delta: 0, ci: [0, 0] });
  });

  it('a clearly better system: CIs exclude 0 and p is at its floor; the reverse comparison mirrors it', () => {
    const { labels, gold, clusters, out } = synthetic(300, 8, 4, [
      { seeds: 3, recall: 0.9, noise: 0.02 },
      { seeds: 3, recall: 0.5, noise: 0.1 },
    ]);
    const input: PairedComparisonInput = {
      gold,
      clusters,
      labels,
      system: out[0]!,
      baseline: out[1]!,
      resamples: 1000,
      alpha: 0.05,
      seed: 5,
    };
    const r = pairedComparison(input);
    for (const m of [r.macroF1, r.microF1]) {
      expect(m.delta).toBeGreaterThan(0.2);
      expect(m.ci[0]).toBeGreaterThan(0);
      expect(m.ci[0]).toBeLessThan(m.delta);
      expect(m.ci[1]).toBeGreaterThan(m.delta);
      expect(m.p).toBe(1 / 1001);
    }
    const rev = pairedComparison({ ...input, system: input.baseline, baseline: input.system });
    expect(rev.macroF1.delta).toBeCloseTo(-r.macroF1.delta, 14);
    expect(rev.macroF1.ci[1]).toBeLessThan(0);
    expect(rev.macroF1.p).toBe(r.macroF1.p);
  });

  it('a small, noisy difference: the CI covers 0 and p is not small', () => {
    const { labels, gold, clusters, out } = synthetic(150, 6, 11, [
      { seeds: 3, recall: 0.7, noise: 0.05 },
      { seeds: 2, recall: 0.69, noise: 0.05 }, // unequal seed counts are fine
    ]);
    const r = pairedComparison({
      gold,
      clusters,
      labels,
      system: out[0]!,
      baseline: out[1]!,
      resamples: 1000,
      alpha: 0.05,
      seed: 2,
    });
    expect(r.macroF1.ci[0]).toBeLessThan(0);
    expect(r.macroF1.ci[1]).toBeGreaterThan(0);
    expect(r.macroF1.p).toBeGreaterThan(0.1);
  });

  it('resamples whole clusters: with a single note every resample is the full data and every permutation is ±delta', () => {
    const oneNote = { ...small, clusters: ['n', 'n', 'n', 'n'] };
    const r = pairedComparison({ ...oneNote, resamples: 300, alpha: 0.1, seed: 3 });
    expect(r.macroF1.ci[0]).toBeCloseTo(r.macroF1.delta, 15);
    expect(r.macroF1.ci[1]).toBeCloseTo(r.macroF1.delta, 15);
    expect(r.macroF1.p).toBe(1);
    const perSentence = pairedComparison({
      ...small,
      clusters: [undefined, null, '', undefined],
      resamples: 300,
      alpha: 0.1,
      seed: 3,
    });
    expect(perSentence.macroF1.ci[1] - perSentence.macroF1.ci[0]).toBeGreaterThan(0.1);
  });

  it('is deterministic for a seed and varies with it', () => {
    const { labels, gold, clusters, out } = synthetic(100, 5, 8, [
      { seeds: 2, recall: 0.8, noise: 0.05 },
      { seeds: 2, recall: 0.7, noise: 0.05 },
    ]);
    const input = { gold, clusters, labels, system: out[0]!, baseline: out[1]!, resamples: 400, alpha: 0.05, seed: 17 };
    const a = pairedComparison(input);
    expect(pairedComparison(input)).toEqual(a);
    expect(pairedComparison({ ...input, seed: 18 }).macroF1.ci).not.toEqual(a.macroF1.ci);
  });

  it('validates its input', () => {
    const ok = { ...small, resamples: 10, alpha: 0.05, seed: 1 };
    expect(() => pairedComparison({ ...ok, resamples: 0 })).toThrow(RangeError);
    expect(() => pairedComparison({ ...ok, alpha: 1 })).toThrow(RangeError);
    expect(() => pairedComparison({ ...ok, system: [] })).toThrow(/no seeds/);
    expect(() => pairedComparison({ ...ok, baseline: [[[], []]] })).toThrow(/baseline seed 0 has 2 sentences/);
    expect(() => pairedComparison({ ...ok, clusters: ['x'] })).toThrow(/cluster entries/);
    expect(() => pairedComparison({ ...ok, labels: ['a', 'a'] })).toThrow(/duplicate label/);
  });
});
