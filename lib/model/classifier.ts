// Multi-label classifier heads on sentence embeddings (one-vs-rest logistic regression or a small MLP), trained in TS.
import { mulberry32, shuffled } from '../run/random.js';
import { ENCODER_ID } from '../run/paths.js';
import { f1FromCounts } from '../evaluate/metrics.js';

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
}

/**
 * Defaults chosen on the gold dev set (281 sentences, 20 note-grouped 80/20 splits): with standardised features,
 * l2 1e-3…1e-1 all gave macro-F1 within ±0.01; 'cv' thresholds beat one holdout by ~0.01–0.02 and halved the
 * seed-to-seed sd. Our logreg optimum matches scikit-learn's (same objective) to 1e-9.
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

// ---------------------------------------------------------------------------------------------------------------

interface Design {
  n: number;
  d: number;
  /** Row-major n × d, standardised when asked. */
  x: Float64Array;
  mean: Float64Array;
  scale: Float64Array;
}

function design(X: readonly Float32Array[], rows: readonly number[], d: number, standardize: boolean): Design {
  const n = rows.length;
  const x = new Float64Array(n * d);
  rows.forEach((r, i) => {
    const v = X[r]!;
    for (let k = 0; k < d; k++) x[i * d + k] = v[k]!;
  });
  const mean = new Float64Array(d);
  const scale = new Float64Array(d).fill(1);
  if (standardize && n > 1) {
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += x[i * d + k]!;
    for (let k = 0; k < d; k++) mean[k]! /= n;
    const vars = new Float64Array(d);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < d; k++) {
        const c = x[i * d + k]! - mean[k]!;
        vars[k]! += c * c;
      }
    for (let k = 0; k < d; k++) {
      const sd = Math.sqrt(vars[k]! / n);
      scale[k] = sd > 1e-12 ? sd : 1;
    }
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) x[i * d + k] = (x[i * d + k]! - mean[k]!) / scale[k]!;
  }
  return { n, d, x, mean, scale };
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** log(1 + e^z), stable. */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** 'balanced' class weights for one binary label: n / (2·count(class)). Sum over rows = n. */
function balancedWeights(y: Uint8Array): Float64Array {
  const n = y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
  const wp = pos ? n / (2 * pos) : 0;
  const wn = n - pos ? n / (2 * (n - pos)) : 0;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = y[i] ? wp : wn;
  return w;
}

// ---------------------------------------------------------------------------------------------------------------
// L-BFGS (two-loop recursion, Armijo backtracking) for smooth convex objectives.

interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

export function lbfgs(
  fg: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  opts: { maxIter?: number; memory?: number; gtol?: number; ftol?: number } = {},
): LbfgsResult {
  const maxIter = opts.maxIter ?? 1000;
  const m = opts.memory ?? 10;
  const gtol = opts.gtol ?? 1e-6;
  const ftol = opts.ftol ?? 1e-12;
  const p = x0.length;
  let x = x0.slice();
  let g = new Float64Array(p);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Yv: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(p);
  const alpha = new Float64Array(m);
  const maxAbs = (v: Float64Array) => v.reduce((s, a) => Math.max(s, Math.abs(a)), 0);
  let it = 0;
  for (; it < maxIter; it++) {
    if (maxAbs(g) <= gtol) return { x, f, iterations: it, converged: true };
    // direction = −H·g
    dir.set(g);
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(S[j]!, dir);
      axpy(-alpha[j]!, Yv[j]!, dir);
    }
    let gamma: number;
    if (S.length) gamma = dot(S[S.length - 1]!, Yv[Yv.length - 1]!) / dot(Yv[Yv.length - 1]!, Yv[Yv.length - 1]!);
    else gamma = 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let k = 0; k < p; k++) dir[k]! *= gamma;
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j]! * dot(Yv[j]!, dir);
      axpy(alpha[j]! - beta, S[j]!, dir);
    }
    for (let k = 0; k < p; k++) dir[k] = -dir[k]!;
    let slope = dot(g, dir);
    if (slope >= 0) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = Yv.length = rho.length = 0;
      for (let k = 0; k < p; k++) dir[k] = -g[k]! / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, dir);
    }
    let step = 1;
    const xn = new Float64Array(p);
    const gn = new Float64Array(p);
    let fn = Infinity;
    for (let ls = 0; ls < 50; ls++) {
      for (let k = 0; k < p; k++) xn[k] = x[k]! + step * dir[k]!;
      fn = fg(xn, gn);
      if (fn <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fn <= f)) return { x, f, iterations: it, converged: false }; // line search failed: at numerical precision
    const s = new Float64Array(p);
    const yv = new Float64Array(p);
    for (let k = 0; k < p; k++) {
      s[k] = xn[k]! - x[k]!;
      yv[k] = gn[k]! - g[k]!;
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Yv.shift();
        rho.shift();
      }
      S.push(s);
      Yv.push(yv);
      rho.push(1 / sy);
    }
    const fOld = f;
    x = xn;
    g = gn;
    f = fn;
    if (Math.abs(fOld - f) <= ftol * Math.max(1, Math.abs(f))) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: it, converged: maxAbs(g) <= gtol };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

/** Binary L2 logistic regression with sample weights, by L-BFGS. Params: [w(d), b]; the bias is not penalised. */
function fitBinaryLogreg(D: Design, y: Uint8Array, sw: Float64Array, l2: number): { w: Float64Array; b: number } {
  const { n, d, x } = D;
  const z = new Float64Array(n);
  const fg = (p: Float64Array, g: Float64Array): number => {
    const b = p[d]!;
    let f = 0;
    for (let i = 0; i < n; i++) {
      let s = b;
      const o = i * d;
      for (let k = 0; k < d; k++) s += x[o + k]! * p[k]!;
      z[i] = s;
      f += sw[i]! * (softplus(s) - y[i]! * s);
    }
    f /= n;
    g.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const r = (sw[i]! * (sigmoid(z[i]!) - y[i]!)) / n;
      if (r === 0) continue;
      gb += r;
      const o = i * d;
      for (let k = 0; k < d; k++) g[k]! += r * x[o + k]!;
    }
    let ww = 0;
    for (let k = 0; k < d; k++) {
      ww += p[k]! * p[k]!;
      g[k]! += l2 * p[k]!;
    }
    g[d] = gb;
    return f + 0.5 * l2 * ww;
  };
  const res = lbfgs(fg, new Float64Array(d + 1), { maxIter: 2000, gtol: 1e-6 });
  return { w: res.x.subarray(0, d), b: res.x[d]! };
}

// ---------------------------------------------------------------------------------------------------------------
// MLP: one hidden ReLU layer, sigmoid outputs, class-weighted BCE, Adam, seeded init and minibatch order.

interface MlpParams {
  h: number;
  W1: Float64Array; // h × d
  b1: Float64Array;
  W2: Float64Array; // L × h
  b2: Float64Array;
}

function gaussian(rand: () => number): () => number {
  return () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

function fitMlp(
  D: Design,
  Y: Uint8Array[],
  SW: Float64Array[],
  active: boolean[],
  o: { hidden: number; epochs: number; lr: number; batch: number; l2: number; seed: number },
): MlpParams {
  const { n, d, x } = D;
  const L = Y.length;
  const h = o.hidden;
  const rand = mulberry32(o.seed ^ 0x9e3779b9);
  const gauss = gaussian(rand);
  const W1 = new Float64Array(h * d).map(() => gauss() * Math.sqrt(2 / d));
  const b1 = new Float64Array(h);
  const W2 = new Float64Array(L * h).map(() => gauss() * Math.sqrt(1 / h));
  const b2 = new Float64Array(L);
  const params = [W1, b1, W2, b2];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const grads = params.map((p) => new Float64Array(p.length));
  const [gW1, gb1, gW2, gb2] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  let t = 0;
  const hid = new Float64Array(h);
  const dh = new Float64Array(h);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = shuffled(idx, rand);
    for (let s = 0; s < n; s += o.batch) {
      const batch = order.slice(s, s + o.batch);
      for (const g of grads) g.fill(0);
      for (const i of batch) {
        const xo = i * d;
        for (let u = 0; u < h; u++) {
          let a = b1[u]!;
          const wo = u * d;
          for (let k = 0; k < d; k++) a += W1[wo + k]! * x[xo + k]!;
          hid[u] = a > 0 ? a : 0;
        }
        dh.fill(0);
        for (let j = 0; j < L; j++) {
          if (!active[j]) continue;
          let z = b2[j]!;
          const wo = j * h;
          for (let u = 0; u < h; u++) z += W2[wo + u]! * hid[u]!;
          const r = (SW[j]![i]! * (sigmoid(z) - Y[j]![i]!)) / batch.length;
          gb2[j]! += r;
          for (let u = 0; u < h; u++) {
            gW2[wo + u]! += r * hid[u]!;
            dh[u]! += r * W2[wo + u]!;
          }
        }
        for (let u = 0; u < h; u++) {
          if (hid[u]! <= 0 || dh[u] === 0) continue;
          const r = dh[u]!;
          gb1[u]! += r;
          const wo = u * d;
          for (let k = 0; k < d; k++) gW1[wo + k]! += r * x[xo + k]!;
        }
      }
      for (let k = 0; k < W1.length; k++) gW1[k]! += o.l2 * W1[k]!;
      for (let k = 0; k < W2.length; k++) gW2[k]! += o.l2 * W2[k]!;
      t++;
      const c1 = 1 - Math.pow(beta1, t);
      const c2 = 1 - Math.pow(beta2, t);
      params.forEach((p, pi) => {
        const g = grads[pi]!;
        const mm = m[pi]!;
        const vv = v[pi]!;
        for (let k = 0; k < p.length; k++) {
          mm[k] = beta1 * mm[k]! + (1 - beta1) * g[k]!;
          vv[k] = beta2 * vv[k]! + (1 - beta2) * g[k]! * g[k]!;
          p[k]! -= (o.lr * (mm[k]! / c1)) / (Math.sqrt(vv[k]! / c2) + eps);
        }
      });
    }
  }
  return { h, W1, b1, W2, b2 };
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Validation rows for threshold tuning, stratified by label: labels are taken rarest first and each gets about
 * share × its positives in validation (at least one when it has two or more, always leaving one for fitting); rows
 * with no label fill validation up to round(share × n). Seeded and deterministic. Indices are sorted.
 */
export function stratifiedValidationSplit(
  Y: readonly Uint8Array[],
  n: number,
  share: number,
  seed: number,
): { fit: number[]; val: number[] } {
  const rand = mulberry32(seed);
  const inVal = new Uint8Array(n);
  const assigned = new Uint8Array(n);
  const positives = Y.map((y) => y.reduce((s, a) => s + a, 0));
  const order = Y.map((_, j) => j).sort((a, b) => positives[a]! - positives[b]! || a - b);
  for (const j of order) {
    const pos = positives[j]!;
    if (pos === 0) continue;
    let want = pos >= 2 ? Math.min(pos - 1, Math.max(1, Math.round(share * pos))) : 0;
    let haveFit = 0;
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!Y[j]![i]) continue;
      if (!assigned[i]) free.push(i);
      else if (inVal[i]) want--;
      else haveFit++;
    }
    for (const i of shuffled(free, rand)) {
      assigned[i] = 1;
      // keep one positive for fitting if none is there yet
      if (want > 0 && (haveFit > 0 || free.length > 1)) {
        inVal[i] = 1;
        want--;
      } else haveFit++;
    }
  }
  const target = Math.round(share * n);
  let valCount = inVal.reduce((s, a) => s + a, 0);
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (!assigned[i]) rest.push(i);
  for (const i of shuffled(rest, rand)) {
    if (valCount < target) {
      inVal[i] = 1;
      valCount++;
    }
  }
  const fit: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) (inVal[i] ? val : fit).push(i);
  return { fit, val };
}

/**
 * Fold number (0…k−1) per row, stratified by label: labels rarest first, each positive row not yet placed goes to
 * the fold with the fewest positives of that label (then the fewest rows); unlabelled rows then fill the smallest
 * folds. Seeded and deterministic.
 */
export function stratifiedFolds(Y: readonly Uint8Array[], n: number, k: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const fold = new Array<number>(n).fill(-1);
  const size = new Array<number>(k).fill(0);
  const positives = Y.map((y) => y.reduce((s, a) => s + a, 0));
  const order = Y.map((_, j) => j).sort((a, b) => positives[a]! - positives[b]! || a - b);
  const place = (i: number, perFold: number[] | null) => {
    let best = 0;
    for (let f = 1; f < k; f++) {
      const a = perFold ? perFold[f]! - perFold[best]! : 0;
      if (a < 0 || (a === 0 && size[f]! < size[best]!)) best = f;
    }
    fold[i] = best;
    size[best]!++;
    if (perFold) perFold[best]!++;
  };
  for (const j of order) {
    const perFold = new Array<number>(k).fill(0);
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!Y[j]![i]) continue;
      if (fold[i]! >= 0) perFold[fold[i]!]!++;
      else free.push(i);
    }
    for (const i of shuffled(free, rand)) place(i, perFold);
  }
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (fold[i]! < 0) rest.push(i);
  for (const i of shuffled(rest, rand)) place(i, null);
  return fold;
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
  },
): Fitted {
  const D = design(X, rows, d, o.standardize);
  const Y = Yall.map((y) => Uint8Array.from(rows, (r) => y[r]!));
  const L = Y.length;
  const counts = Y.map((y) => y.reduce((s, a) => s + a, 0));
  // Fold the standardisation into a layer acting on x: w·((x−μ)/σ) + b = (w/σ)·x + (b − Σ w μ/σ).
  const fold = (w: Float64Array, b: number): [Float64Array, number] => {
    const out = new Float64Array(d);
    let bb = b;
    for (let k = 0; k < d; k++) {
      out[k] = w[k]! / D.scale[k]!;
      bb -= out[k]! * D.mean[k]!;
    }
    return [out, bb];
  };
  if (o.kind === 'logreg') {
    const weights: Float64Array[] = [];
    const biases = new Float64Array(L);
    for (let j = 0; j < L; j++) {
      if (counts[j] === 0 || counts[j] === rows.length) {
        // one class only: a constant score (never / always predicted)
        weights.push(new Float64Array(d));
        biases[j] = counts[j] === 0 ? -30 : 30;
        continue;
      }
      const fit = fitBinaryLogreg(D, Y[j]!, balancedWeights(Y[j]!), o.l2);
      const [w, b] = fold(fit.w, fit.b);
      weights.push(w);
      biases[j] = b;
    }
    return { kind: 'logreg', weights, biases };
  }
  const active = counts.map((c) => c > 0 && c < rows.length);
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
