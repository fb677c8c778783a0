// Unit tests for lib/model/classifier.ts: learning a separable multi-label problem, determinism, threshold hygiene.
import { describe, expect, it } from 'vitest';
import {
  DEFAULTS,
  predictLabels,
  predictScores,
  stratifiedFolds,
  stratifiedValidationSplit,
  trainClassifier,
  type TrainedHead,
} from '../../lib/model/classifier.js';
import { multilabelMetrics } from '../../lib/evaluate/metrics.js';
import { mulberry32 } from '../../lib/run/random.js';

const LABELS = ['alpha', 'beta', 'gamma', 'delta'];

/** Separable synthetic data: each label adds its own direction; unit-norm vectors like sentence embeddings. */
function synthetic(n: number, seed: number, d = 32): { X: Float32Array[]; Y: string[][] } {
  const rand = mulberry32(seed);
  const dirs = LABELS.map((_, j) => {
    const v = new Float32Array(d);
    v[j * 2] = 1;
    v[j * 2 + 1] = 0.5;
    return v;
  });
  const X: Float32Array[] = [];
  const Y: string[][] = [];
  for (let i = 0; i < n; i++) {
    const ls = LABELS.filter((_, j) => rand() < (j === 3 ? 0.12 : 0.3));
    const v = new Float32Array(d).map(() => (rand() - 0.5) * 0.4);
    for (const l of ls) dirs[LABELS.indexOf(l)]!.forEach((x, k) => (v[k]! += 1.5 * x));
    const norm = Math.hypot(...v);
    X.push(v.map((x) => x / norm));
    Y.push(ls);
  }
  return { X, Y };
}

const train = synthetic(400, 1);
const test = synthetic(200, 2);

describe('trainClassifier', () => {
  for (const kind of ['logreg', 'mlp'] as const) {
    it(`${kind} learns a separable multi-label problem (macro-F1 > 0.9)`, () => {
      const head = trainClassifier(train.X, train.Y, LABELS, { kind, seed: 1, validationShare: 0.2 });
      const m = multilabelMetrics(test.Y, predictLabels(head, test.X), LABELS);
      expect(m.macroF1).toBeGreaterThan(0.9);
      for (const t of head.thresholds) expect(t).toBeGreaterThanOrEqual(0.05);
    });
  }

  it('is deterministic for a seed (identical weights and thresholds), and plain JSON', () => {
    for (const kind of ['logreg', 'mlp'] as const) {
      const a = trainClassifier(train.X, train.Y, LABELS, { kind, seed: 3, validationShare: 0.2, epochs: 5 });
      const b = trainClassifier(train.X, train.Y, LABELS, { kind, seed: 3, validationShare: 0.2, epochs: 5 });
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      const round: TrainedHead = JSON.parse(JSON.stringify(a));
      expect(predictScores(round, test.X)).toEqual(predictScores(a, test.X));
    }
  });

  it('outputs sigmoid probabilities of the stored weights (not logits)', () => {
    const head = trainClassifier(train.X, train.Y, LABELS, { kind: 'logreg', seed: 1, validationShare: 0.2 });
    const x = test.X[0]!;
    const scores = predictScores(head, [x])[0]!;
    head.labels.forEach((_, j) => {
      const z = head.weights[j]!.reduce((s, w, k) => s + w * x[k]!, head.biases[j]!);
      expect(scores[j]).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
      expect(scores[j]).toBeGreaterThanOrEqual(0);
      expect(scores[j]).toBeLessThanOrEqual(1);
    });
  });

  it('tunes thresholds on training data only: the API takes no test data, and the test set cannot move them', () => {
    // trainClassifier(X, Y, labels, opts): there is no parameter through which evaluation data could enter.
    expect(trainClassifier.length).toBe(4);
    const a = trainClassifier(train.X, train.Y, LABELS, { kind: 'logreg', seed: 2, validationShare: 0.25 });
    // Evaluating on different test sets afterwards leaves the head as it was.
    const before = JSON.stringify(a);
    predictLabels(a, synthetic(50, 9).X);
    predictLabels(a, test.X);
    expect(JSON.stringify(a)).toBe(before);
    expect(a.validation.n).toBeLessThanOrEqual(a.trainedOn.n);
    const cv = trainClassifier(train.X, train.Y, LABELS, {
      kind: 'logreg',
      seed: 2,
      validationShare: 0.25,
      tuning: 'cv',
    });
    expect(cv.validation.n).toBe(400); // every training row held out once
    expect(cv.options).toMatchObject({ tuning: 'cv', folds: 4 });
    for (const t of cv.thresholds) expect(DEFAULTS.thresholds).toContain(t);
    for (const kind of ['logreg', 'mlp'] as const) {
      const h = trainClassifier(train.X, train.Y, LABELS, {
        kind,
        seed: 2,
        validationShare: 0.25,
        tuning: 'holdout',
        epochs: 5,
      });
      expect(h.validation.n).toBe(100); // 25 % of the 400 training rows
      expect(h.options.tuning).toBe('holdout');
    }
  });

  it('logreg by default predicts at 0.5, the class-balanced decision point: one fit, no rows held out for thresholds', () => {
    const head = trainClassifier(train.X, train.Y, LABELS, { kind: 'logreg', seed: 4, validationShare: 0.2 });
    expect(head.options).toMatchObject({ tuning: 'none', folds: 0, refit: true });
    expect(head.thresholds).toEqual(LABELS.map(() => 0.5));
    expect(head.validation).toEqual({ n: 0, perLabel: {} });
    // the weights are those of a 'cv' head (the same final fit on all rows); only the thresholds differ
    const cv = trainClassifier(train.X, train.Y, LABELS, {
      kind: 'logreg',
      seed: 4,
      validationShare: 0.2,
      tuning: 'cv',
    });
    expect(head.weights).toEqual(cv.weights);
    expect(head.biases).toEqual(cv.biases);
  });

  it('never predicts a label without positive training rows, and says so', () => {
    const labels = [...LABELS, 'unseen'];
    const head = trainClassifier(train.X, train.Y, labels, { kind: 'logreg', seed: 1, validationShare: 0.2 });
    const j = labels.indexOf('unseen');
    expect(head.thresholds[j]).toBeGreaterThan(1);
    expect(head.trainedOn.perLabel.unseen).toBe(0);
    expect(head.notes.join('\n')).toMatch(/unseen: no positive training rows/);
    expect(predictLabels(head, test.X).some((ls) => ls.includes('unseen'))).toBe(false);
    expect(JSON.parse(JSON.stringify(head)).thresholds[j]).toBeGreaterThan(1); // survives JSON (no Infinity)
  });

  it('rejects labels outside the label list and mismatched inputs', () => {
    expect(() =>
      trainClassifier(train.X, [['nope'], ...train.Y.slice(1)], LABELS, {
        kind: 'logreg',
        seed: 1,
        validationShare: 0.2,
      }),
    ).toThrow(/not in labels/);
    expect(() =>
      trainClassifier(train.X, train.Y.slice(1), LABELS, { kind: 'logreg', seed: 1, validationShare: 0.2 }),
    ).toThrow(/vectors but/);
    expect(() => trainClassifier(train.X, train.Y, LABELS, { kind: 'logreg', seed: 1, validationShare: 1 })).toThrow(
      RangeError,
    );
  });
});

describe('validation splits of the training rows', () => {
  const Yb = LABELS.map((l) => Uint8Array.from(train.Y, (ls) => (ls.includes(l) ? 1 : 0)));
  it('holdout keeps at least one positive of every label on both sides and is seeded', () => {
    const { fit, val } = stratifiedValidationSplit(Yb, 400, 0.2, 5);
    expect(fit.length + val.length).toBe(400);
    expect(Math.abs(val.length - 80)).toBeLessThanOrEqual(4);
    for (const y of Yb) {
      expect(val.some((i) => y[i])).toBe(true);
      expect(fit.some((i) => y[i])).toBe(true);
    }
    expect(stratifiedValidationSplit(Yb, 400, 0.2, 5)).toEqual({ fit, val });
    // a label with two positives: one each side; with one positive: it stays for fitting
    const tiny = [Uint8Array.from([1, 1, 0, 0, 0]), Uint8Array.from([0, 0, 1, 0, 0])];
    const s = stratifiedValidationSplit(tiny, 5, 0.4, 1);
    expect(s.val.filter((i) => tiny[0]![i]).length).toBe(1);
    expect(s.fit).toContain(2);
  });
  it('k folds spread each label evenly', () => {
    const fold = stratifiedFolds(Yb, 400, 5, 1);
    for (const y of Yb) {
      const per = [0, 1, 2, 3, 4].map((f) => fold.filter((g, i) => g === f && y[i]).length);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 1, 2, 3, 4].map((f) => fold.filter((g) => g === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });
});
