// Multi-label classifier heads on sentence embeddings (one-vs-rest logistic regression or a small MLP), trained in TS.
import { ENCODER_ID } from '../config/paths.js';
import { f1FromCounts } from '../evaluate/metrics.js';
import { availableParallelism } from 'node:os';
import { balancedClassWeights, balancedWeights, design, sigmoid, unstandardize } from './design.js';
import { POOL_MIN_ENTRIES, startLogregPool } from './logreg-pool.js';
import { fitLogregLabels } from './logreg-fit.js';
import { fitMlp } from './mlp-fit.js';
import { stratifiedFolds, stratifiedValidationSplit } from './splits.js';

export { stratifiedFolds, stratifiedValidationSplit } from './splits.js';

export type ClassifierKind = 'logreg' | 'mlp';

export interface TrainOptions {
  kind: ClassifierKind;
  seed: number;
  /** Share of the TRAINING rows held out (stratified by label, seeded) to tune the per-label thresholds. */
  validationShare: number;
  /** L2 penalty λ on the weights, added as λ/2·‖W‖² to the class-weighted mean log-loss. Default: see DEFAULTS. */
  l2?: number;
  /** Standardise features (z-score, fitted on the training rows, folded into the saved weights). Default true. */
  standardize?: boolean;
  /** After tuning thresholds, refit the weights on all training rows (true, default) or keep the tuning model. */
  refit?: boolean;
  /**
   * How the per-label thresholds are set. 'none' (logreg default): 0.5 for every label, the decision point of the
   * class-balanced loss; one fit, no rows held out, validationShare unused. Otherwise tuned on held-out training rows:
   * 'cv': out-of-fold scores from k = round(1 / validationShare) label-stratified folds, so every training row is held
   * out once (costs k + 1 fits; always refits); 'holdout' (mlp default): one validationShare split.
   */
  tuning?: 'cv' | 'holdout' | 'none';
  /** MLP only: hidden units, epochs, Adam learning rate, minibatch size. */
  hidden?: number;
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  /** Recorded in the head; the encoder that made X. */
  encoderId?: string;
  /**
   * logreg: threads that share the rows of a large fit (n·d ≥ 4e6; lib/model/logreg-pool.ts). Default: the cores.
   * The optimum is the same to rounding (sums are added in another order).
   */
  threads?: number;
}

/**
 * Defaults chosen on the gold dev set (281 sentences, 20 note-grouped 80/20 splits): with standardised features,
 * l2 1e-3…1e-1 all gave macro-F1 within ±0.01; 'cv' thresholds beat one holdout by ~0.01–0.02 and halved the
 * seed-to-seed sd. Our logreg optimum matches scikit-learn's (same objective, same tolerance: max |gradient| ≤ 1e-6;
 * tests/unit/classifier-reference.test.ts): weights within 1e-3 of the largest, probabilities within 1e-4.
 * Threshold 0.5 ('none') then beat 'cv' thresholds out of fold on all 281 sentences (5 folds by note, fold seeds
 * 1–3 / 4–10), macro-F1 MiniLM 0.635 vs 0.631 / 0.635 vs 0.618, mpnet 0.572 vs 0.557 / 0.566 vs 0.539, micro-F1
 * +0.01–0.04: tuning 19 thresholds per label on 2–54 positives fits noise. l2 1e-3…1e-1 stayed within ±0.01 there
 * for both encoders, and l2 picked per label by inner-CV log-loss did not help (MiniLM 0.627, mpnet 0.560).
 */
export const DEFAULTS = {
  logreg: { l2: 1e-2, tuning: 'none' },
  /** MLP fits cost ~10× a logreg fit (n=3000: ~20 s), so its thresholds come from one holdout by default. */
  mlp: { l2: 1e-3, hidden: 64, epochs: 60, learningRate: 1e-3, batchSize: 32, tuning: 'holdout' },
  standardize: true,
  refit: true,
  /** Every label's threshold when thresholds are not tuned ('none'). */
  threshold: 0.5,
  /** Threshold grid for tuning. */
  thresholds: Array.from({ length: 19 }, (_, i) => Math.round((0.05 + 0.05 * i) * 100) / 100),
  /** Threshold for a label never seen positive in training: above any probability, so never predicted. */
  never: 2,
} as const;

/**
 * A trained head: plain JSON. Scores are sigmoid(weights · φ(x) + biases) per label, φ(x) = x for logreg and
 * relu(hidden.weights · x + hidden.biases) for mlp, where x is the raw (unit-norm) embedding: any standardisation
 * is folded into the first layer. A label is predicted when its score ≥ its threshold.
 */
export interface TrainedHead {
  kind: ClassifierKind;
  labels: string[];
  encoderId: string;
  dim: number;
  /** [label][input of the output layer]. */
  weights: number[][];
  biases: number[];
  /** Per label, aligned with `labels`; > 1 means never predicted. */
  thresholds: number[];
  hidden?: { weights: number[][]; biases: number[] };
  trainedOn: { n: number; perLabel: Record<string, number> };
  /** Threshold tuning on the validation rows (held out from the training data; the test set is never seen). */
  validation: { n: number; perLabel: Record<string, { positives: number; f1: number; threshold: number }> };
  options: {
    seed: number;
    validationShare: number;
    tuning: 'cv' | 'holdout' | 'none';
    folds: number;
    l2: number;
    standardize: boolean;
    refit: boolean;
    hidden?: number;
    epochs?: number;
    learningRate?: number;
    batchSize?: number;
  };
  /** Things a reader of the results should know, e.g. labels never seen positive. */
  notes: string[];
}

function f1At(scores: readonly number[], y: Uint8Array, rows: readonly number[], t: number): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  rows.forEach((r, i) => {
    const p = scores[i]! >= t;
    if (p && y[r]) tp++;
    else if (p) fp++;
    else if (y[r]) fn++;
  });
  return f1FromCounts(tp, fp, fn);
}

/** Best threshold on the grid; ties resolved to the middle of the best-scoring thresholds. */
function tuneThreshold(
  scores: readonly number[],
  y: Uint8Array,
  rows: readonly number[],
): { threshold: number; f1: number } {
  const f1s = DEFAULTS.thresholds.map((t) => f1At(scores, y, rows, t));
  const best = Math.max(...f1s);
  const ties = DEFAULTS.thresholds.filter((_, i) => f1s[i]! >= best - 1e-12);
  return { threshold: ties[Math.floor((ties.length - 1) / 2)]!, f1: best };
}

interface Fitted {
  kind: ClassifierKind;
  /** Output layer on φ(x) of the ORIGINAL features (standardisation folded in). */
  weights: Float64Array[];
  biases: Float64Array;
  hidden?: { weights: Float64Array[]; biases: Float64Array };
}

function fitOn(
  X: readonly Float32Array[],
  Yall: readonly Uint8Array[],
  rows: readonly number[],
  d: number,
  o: Required<Pick<TrainOptions, 'kind' | 'seed' | 'l2' | 'standardize'>> & {
    hidden: number;
    epochs: number;
    lr: number;
    batch: number;
    threads: number;
  },
): Fitted {
  const threads = o.kind === 'logreg' && rows.length * d >= POOL_MIN_ENTRIES ? o.threads : 1;
  const D = design(X, rows, d, o.standardize, threads > 1);
  const Y = Yall.map((y) => Uint8Array.from(rows, (r) => y[r]!));
  const L = Y.length;
  const counts = Y.map((y) => y.reduce((s, a) => s + a, 0));
  const fold = (w: ArrayLike<number>, b: number) => unstandardize(D, w, b);
  const active = counts.map((c) => c > 0 && c < rows.length);
  if (o.kind === 'logreg') {
    // Labels with one class only get a constant score (never / always predicted); the others are fitted together.
    const fitted = Y.flatMap((_, j) => (active[j] ? [j] : []));
    const pool = threads > 1 ? startLogregPool(D, Y, Y.map(balancedClassWeights), o.l2, threads) : null;
    let fits: ReturnType<typeof fitLogregLabels>;
    try {
      fits = fitLogregLabels(D, Y, fitted, o.l2, pool ? { evaluate: pool.evaluate } : {});
    } finally {
      pool?.close();
    }
    const weights: Float64Array[] = Y.map(() => new Float64Array(d));
    const biases = Float64Array.from(counts, (c) => (c === 0 ? -30 : 30));
    fitted.forEach((j, a) => ([weights[j], biases[j]] = fold(fits[a]!.w, fits[a]!.b)));
    return { kind: 'logreg', weights, biases };
  }
  const p = fitMlp(D, Y, Y.map(balancedWeights), active, {
    hidden: o.hidden,
    epochs: o.epochs,
    lr: o.lr,
    batch: o.batch,
    l2: o.l2,
    seed: o.seed,
  });
  const hw: Float64Array[] = [];
  const hb = new Float64Array(p.h);
  for (let u = 0; u < p.h; u++) {
    const [w, b] = fold(p.W1.subarray(u * d, (u + 1) * d), p.b1[u]!);
    hw.push(w);
    hb[u] = b;
  }
  const weights: Float64Array[] = [];
  const biases = new Float64Array(L);
  for (let j = 0; j < L; j++) {
    weights.push(active[j] ? p.W2.slice(j * p.h, (j + 1) * p.h) : new Float64Array(p.h));
    biases[j] = active[j] ? p.b2[j]! : counts[j] === 0 ? -30 : 30;
  }
  return { kind: 'mlp', weights, biases, hidden: { weights: hw, biases: hb } };
}

/** The parts of a head (fitted or loaded from JSON) that compute scores. */
interface Scorer {
  weights: readonly ArrayLike<number>[];
  biases: ArrayLike<number>;
  hidden?: { weights: readonly ArrayLike<number>[]; biases: ArrayLike<number> };
}

function scoresOf(f: Scorer, x: ArrayLike<number>): number[] {
  let phi: ArrayLike<number> = x;
  if (f.hidden) {
    const hw = f.hidden.weights;
    const a = new Float64Array(hw.length);
    for (let u = 0; u < hw.length; u++) {
      const w = hw[u]!;
      let s = f.hidden.biases[u]!;
      for (let k = 0; k < w.length; k++) s += w[k]! * x[k]!;
      a[u] = s > 0 ? s : 0;
    }
    phi = a;
  }
  return f.weights.map((w, j) => {
    let s = f.biases[j]!;
    for (let k = 0; k < w.length; k++) s += w[k]! * phi[k]!;
    return sigmoid(s);
  });
}

/**
 * Trains a multi-label head on training data only. Thresholds are 0.5 (tuning 'none', the logreg default) or tuned
 * per label (grid 0.05…0.95, best F1, ties to the middle) on a seeded, label-stratified validation share OF THE
 * TRAINING ROWS, using a model fitted on the rest; then (refit, default) the weights are fitted again on all training
 * rows and keep those thresholds.
 * There is deliberately no test-set argument: test data cannot influence weights or thresholds.
 * Labels in Y must be in `labels`. A label with no positive training row is never predicted (threshold > 1).
 */
export function trainClassifier(
  X: readonly Float32Array[],
  Y: readonly (readonly string[])[],
  labels: readonly string[],
  opts: TrainOptions,
): TrainedHead {
  if (X.length !== Y.length) throw new Error(`trainClassifier: ${X.length} vectors but ${Y.length} label sets`);
  if (X.length === 0) throw new Error('trainClassifier: no training rows');
  if (!(opts.validationShare > 0 && opts.validationShare < 1))
    throw new RangeError(`validationShare must be in (0, 1), got ${opts.validationShare}`);
  const d = X[0]!.length;
  X.forEach((v, i) => {
    if (v.length !== d) throw new Error(`trainClassifier: vector ${i} has length ${v.length}, expected ${d}`);
  });
  const index = new Map(labels.map((l, j) => [l, j] as const));
  if (index.size !== labels.length) throw new Error('trainClassifier: duplicate label in labels');
  const n = X.length;
  const Yb = labels.map(() => new Uint8Array(n));
  Y.forEach((ls, i) =>
    ls.forEach((l) => {
      const j = index.get(l);
      if (j === undefined)
        throw new Error(`trainClassifier: row ${i} has label ${JSON.stringify(l)}, which is not in labels`);
      Yb[j]![i] = 1;
    }),
  );
  const mlpDefaults = DEFAULTS.mlp;
  const o = {
    kind: opts.kind,
    seed: opts.seed,
    l2: opts.l2 ?? (opts.kind === 'mlp' ? mlpDefaults.l2 : DEFAULTS.logreg.l2),
    standardize: opts.standardize ?? DEFAULTS.standardize,
    hidden: opts.hidden ?? mlpDefaults.hidden,
    epochs: opts.epochs ?? mlpDefaults.epochs,
    lr: opts.learningRate ?? mlpDefaults.learningRate,
    batch: opts.batchSize ?? mlpDefaults.batchSize,
    threads: Math.max(1, Math.floor(opts.threads ?? availableParallelism())),
  };
  const refit = opts.refit ?? DEFAULTS.refit;
  const tuning = opts.tuning ?? DEFAULTS[opts.kind].tuning;
  const folds = tuning === 'cv' ? Math.min(n, Math.max(2, Math.round(1 / opts.validationShare))) : 0;
  const notes: string[] = [];

  // Scores for tuning: held-out rows of the training data, never anything else.
  const all = Array.from({ length: n }, (_, i) => i);
  let val: number[];
  let valScores: number[][];
  let tuner: Fitted | undefined;
  if (folds >= 2) {
    const fold = stratifiedFolds(Yb, n, folds, opts.seed);
    val = all;
    valScores = new Array<number[]>(n);
    for (let f = 0; f < folds; f++) {
      const held = all.filter((i) => fold[i] === f);
      if (held.length === 0) continue;
      const model = fitOn(
        X,
        Yb,
        all.filter((i) => fold[i] !== f),
        d,
        o,
      );
      for (const i of held) valScores[i] = scoresOf(model, X[i]!);
    }
  } else if (tuning === 'none') {
    val = [];
    valScores = [];
  } else {
    const split = stratifiedValidationSplit(Yb, n, opts.validationShare, opts.seed);
    val = split.val;
    tuner = fitOn(X, Yb, split.fit, d, o);
    const t = tuner;
    valScores = val.map((r) => scoresOf(t, X[r]!));
  }
  const thresholds: number[] = [];
  const validation: TrainedHead['validation'] = { n: val.length, perLabel: {} };
  const perLabel: Record<string, number> = {};
  labels.forEach((l, j) => {
    const total = Yb[j]!.reduce((s, a) => s + a, 0);
    const valPos = val.reduce((s, r) => s + Yb[j]![r]!, 0);
    perLabel[l] = total;
    let t: number;
    let f1 = 0;
    if (total === 0) {
      t = DEFAULTS.never;
      notes.push(`label ${l}: no positive training rows, never predicted`);
    } else if (tuning === 'none') {
      t = DEFAULTS.threshold;
    } else if (valPos === 0) {
      t = 0.5;
      notes.push(`label ${l}: ${total} positive training row(s), none left for validation; threshold 0.5`);
    } else {
      ({ threshold: t, f1 } = tuneThreshold(
        val.map((r, i) => valScores[folds >= 2 ? r : i]![j]!),
        Yb[j]!,
        val,
      ));
      if (f1 === 0) notes.push(`label ${l}: no held-out positive was found at any threshold (F1 0); threshold ${t}`);
    }
    thresholds.push(t);
    if (tuning !== 'none') validation.perLabel[l] = { positives: valPos, f1, threshold: t };
  });
  const final = refit || !tuner ? fitOn(X, Yb, all, d, o) : tuner;

  const toArr = (a: Float64Array) => Array.from(a);
  return {
    kind: o.kind,
    labels: [...labels],
    encoderId: opts.encoderId ?? ENCODER_ID,
    dim: d,
    weights: final.weights.map(toArr),
    biases: toArr(final.biases),
    thresholds,
    ...(final.hidden
      ? { hidden: { weights: final.hidden.weights.map(toArr), biases: toArr(final.hidden.biases) } }
      : {}),
    trainedOn: { n, perLabel },
    validation,
    options: {
      seed: o.seed,
      validationShare: opts.validationShare,
      tuning,
      folds,
      l2: o.l2,
      standardize: o.standardize,
      refit: refit || !tuner,
      ...(o.kind === 'mlp' ? { hidden: o.hidden, epochs: o.epochs, learningRate: o.lr, batchSize: o.batch } : {}),
    },
    notes,
  };
}

/** Sigmoid probabilities, one row per vector, one column per head label. */
export function predictScores(head: TrainedHead, X: readonly ArrayLike<number>[]): number[][] {
  return X.map((x, i) => {
    if (x.length !== head.dim)
      throw new Error(`predictScores: vector ${i} has length ${x.length}, the head expects ${head.dim}`);
    return scoresOf(head, x);
  });
}

/** Labels whose score reaches their threshold, in head label order. */
export function predictLabels(head: TrainedHead, X: readonly ArrayLike<number>[]): string[][] {
  return predictScores(head, X).map((s) => head.labels.filter((_, j) => s[j]! >= head.thresholds[j]!));
}
